using Hangfire;
using Hangfire.PostgreSql;
using Portal.Core.Data;

namespace Portal.Web.Infrastructure;

public sealed class JobsOptions
{
    public const string Section = "Jobs";

    /// <summary>Run a Hangfire server in this process.</summary>
    public bool RunServer { get; set; } = true;

    /// <summary><c>Database</c> (the provider's own storage; in-memory with SQLite) or <c>InMemory</c>.</summary>
    public string Storage { get; set; } = "Database";

    public int WorkerCount { get; set; } = Math.Max(2, Environment.ProcessorCount);
}

public static class JobsHosting
{
    /// <summary>Hangfire with storage chosen by the one provider switch.</summary>
    public static IServiceCollection AddPortalJobsHost(this IServiceCollection services, IConfiguration configuration)
    {
        var options = new JobsOptions();
        configuration.GetSection(JobsOptions.Section).Bind(options);
        services.AddSingleton(options);
        var database = DatabaseServiceCollectionExtensions.ReadOptions(configuration);
        services.AddHangfire(config =>
        {
            config.SetDataCompatibilityLevel(CompatibilityLevel.Version_180).UseSimpleAssemblyNameTypeSerializer().UseRecommendedSerializerSettings();
            var inMemory = options.Storage.Equals("InMemory", StringComparison.OrdinalIgnoreCase) || database.Provider == DatabaseProvider.Sqlite;
            if (inMemory)
            {
                config.UseInMemoryStorage();
                return;
            }

            var connectionString = DatabaseServiceCollectionExtensions.ConnectionString(configuration, database.Provider);
            if (database.Provider == DatabaseProvider.Postgres)
                config.UsePostgreSqlStorage(o => o.UseNpgsqlConnection(connectionString));
            else
                config.UseSqlServerStorage(connectionString);
        });
        if (options.RunServer)
            services.AddHangfireServer(o => o.WorkerCount = options.WorkerCount);
        return services;
    }

    public static IEndpointRouteBuilder MapJobsDashboard(this IEndpointRouteBuilder app)
    {
        // Site admins only: the endpoint's policy runs before the dashboard, so others are sent to sign in or get 403.
        app.MapHangfireDashboard("/jobs", new DashboardOptions { Authorization = [], DashboardTitle = "Portal jobs", AppPath = "/" })
            .RequireAuthorization(Policies.SiteAdmin);
        return app;
    }
}
