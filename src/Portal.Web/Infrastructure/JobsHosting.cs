using Portal.Core;
using Hangfire;
using Hangfire.Common;
using Portal.Core.Jobs;
using Hangfire.PostgreSql;
using Portal.Core.Data;
using static Portal.Core.ValidatedOptions;

namespace Portal.Web.Infrastructure;

public sealed class JobsOptions : IValidatedOptions
{
    public const string Section = "Jobs";

    /// <summary>Run a Hangfire server in this process.</summary>
    public bool RunServer { get; set; } = true;

    /// <summary><c>Database</c> (the provider's own storage; in-memory with SQLite) or <c>InMemory</c>.</summary>
    public string Storage { get; set; } = "Database";

    public int WorkerCount { get; set; } = Math.Max(2, Environment.ProcessorCount);

    /// <summary>
    /// PostgreSQL job storage: how long a job fetched by a worker that stopped sending heartbeats (the process died)
    /// stays invisible before another worker takes it again. The timeout slides while the worker is alive, so a long
    /// job is never taken twice.
    /// </summary>
    public TimeSpan InvisibilityTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Hangfire creates or upgrades its schema at start-up (SQL Server and PostgreSQL storage), which needs DDL rights.
    /// Production sets false: the DBA script (<c>infra/scripts/sql-script.sh</c>) installs the schema instead.
    /// </summary>
    public bool PrepareSchema { get; set; } = true;

    /// <summary>In-memory job storage forgets its queue on restart; the database then says what is unfinished.</summary>
    public bool UsesInMemoryStorage(DatabaseOptions database) =>
        Storage.Equals("InMemory", StringComparison.OrdinalIgnoreCase) || database.Provider == DatabaseProvider.Sqlite;

    public IEnumerable<string> Problems() =>
        OneOf("Jobs:Storage", Storage, "Database", "InMemory")
            .Concat(AtLeast("Jobs:WorkerCount", WorkerCount, 1))
            .Concat(Positive("Jobs:InvisibilityTimeout", InvisibilityTimeout));
}

public static class JobsHosting
{
    /// <summary>Hangfire with storage chosen by the one provider switch.</summary>
    public static IServiceCollection AddPortalJobsHost(this IServiceCollection services)
    {
        services.AddSingleton(sp => ReadOptions(sp.GetRequiredService<IConfiguration>()));
        services.AddHangfire((sp, config) =>
        {
            var configuration = sp.GetRequiredService<IConfiguration>();
            var options = sp.GetRequiredService<JobsOptions>();
            var database = sp.GetRequiredService<DatabaseOptions>();
            config.SetDataCompatibilityLevel(CompatibilityLevel.Version_180).UseSimpleAssemblyNameTypeSerializer().UseRecommendedSerializerSettings()
                .UseLogProvider(new ResilientHangfireLogProvider(sp.GetRequiredService<ILoggerFactory>()));
            if (options.UsesInMemoryStorage(database))
            {
                config.UseInMemoryStorage();
                return;
            }

            var connectionString = DatabaseServiceCollectionExtensions.ConnectionString(configuration, database.Provider);
            if (database.Provider == DatabaseProvider.Postgres)
                config.UsePostgreSqlStorage(o => o.UseNpgsqlConnection(connectionString),
                    new PostgreSqlStorageOptions { InvisibilityTimeout = options.InvisibilityTimeout, UseSlidingInvisibilityTimeout = true, PrepareSchemaIfNecessary = options.PrepareSchema });
            else
                config.UseSqlServerStorage(connectionString, new Hangfire.SqlServer.SqlServerStorageOptions { PrepareSchemaIfNecessary = options.PrepareSchema });
        });
        services.AddHostedService<JobServerHost>();
        return services;
    }

    private static JobsOptions ReadOptions(IConfiguration configuration)
    {
        var options = new JobsOptions();
        configuration.GetSection(JobsOptions.Section).Bind(options);
        options.RunServer = PortalRoles.Read(configuration).RunsJobs(options.RunServer);
        return ValidatedOptions.Checked(options);
    }

    public static IEndpointRouteBuilder MapJobsDashboard(this IEndpointRouteBuilder app)
    {
        // Site admins only: the endpoint's policy runs before the dashboard, so others are sent to sign in or get 403.
        app.MapHangfireDashboard("/jobs", new DashboardOptions { Authorization = [], DashboardTitle = "Portal jobs", AppPath = "/" })
            .RequireAuthorization(Policies.SiteAdmin);
        // The dashboard's stats route takes any method but reads a form, so a GET failed with 500 (no form content
        // type). Its page polls with POST; a GET is told so.
        app.MapGet("/jobs/stats", (HttpContext http) =>
            {
                http.Response.Headers.Allow = "POST";
                return Results.Problem(statusCode: StatusCodes.Status405MethodNotAllowed, title: Problems.TitleFor(405),
                    detail: "The jobs dashboard's statistics are read with POST and form fields metrics[] (as its page does); open /jobs to see them.",
                    extensions: new Dictionary<string, object?> { ["code"] = Portal.Client.ErrorCodes.MethodNotAllowed });
            })
            .RequireAuthorization(Policies.SiteAdmin)
            .ExcludeFromDescription();
        return app;
    }
}

/// <summary>
/// Runs the Hangfire server in this process when <see cref="JobsOptions.RunServer"/> says so — decided when the host
/// starts, from the final configuration (a web-only replica or a test host runs none).
/// </summary>
public sealed class JobServerHost(JobsOptions options, DatabaseOptions database, JobStorage storage, IServiceScopeFactory scopes, ILogger<JobServerHost> logger) : IHostedService, IDisposable
{
    private BackgroundJobServer? _server;
    private IDisposable? _queueDepth;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.RunServer)
        {
            if (options.UsesInMemoryStorage(database))
            {
                // The queue did not survive the restart: queue again what the database says is unfinished.
                await using var scope = scopes.CreateAsyncScope();
                var requeued = await scope.ServiceProvider.GetRequiredService<Portal.Core.Jobs.VersionJobsReconciliation>().RequeueUnfinishedAsync(cancellationToken);
                if (requeued > 0)
                    logger.LogInformation("Queued {Count} unfinished validations and compare reports again", requeued);
                var ingestions = await scope.ServiceProvider.GetRequiredService<Portal.Core.Features.Ingestions.IngestionReconciliation>().RequeueUnfinishedAsync(cancellationToken);
                if (ingestions > 0)
                    logger.LogInformation("Queued {Count} unfinished ingestions again", ingestions);
            }

            var serverOptions = new BackgroundJobServerOptions
            {
                WorkerCount = options.WorkerCount,
                Activator = new Hangfire.AspNetCore.AspNetCoreJobActivator(scopes),
                // The server's own filters on top of the global ones: each host measures the jobs it runs.
                FilterProvider = new JobFilterProviderCollection(JobFilterProviders.Providers, new JobFilterCollection { new JobTelemetryFilter() }),
            };
            _server = new BackgroundJobServer(serverOptions, storage);
            _queueDepth = PortalTelemetry.ReportQueueDepth(new QueueDepth(storage, serverOptions.Queues, logger).Read);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queueDepth?.Dispose();
        if (_server is null)
            return;
        _server.SendStop();
        await _server.WaitForShutdownAsync(cancellationToken);
    }

    public void Dispose()
    {
        _queueDepth?.Dispose();
        _server?.Dispose();
    }

    /// <summary>
    /// Jobs waiting in the server's queues, for the <c>portal.jobs.queue_depth</c> gauge: one count per queue, read
    /// at most every few seconds however often metrics are collected, and nothing (not an error) when the storage
    /// does not answer.
    /// </summary>
    private sealed class QueueDepth(JobStorage storage, string[] queues, ILogger logger)
    {
        private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(10);
        private readonly Lock _lock = new();
        private long? _depth;
        private long _readAt;

        public long? Read()
        {
            lock (_lock)
            {
                if (_readAt != 0 && System.Diagnostics.Stopwatch.GetElapsedTime(_readAt) < MaxAge)
                    return _depth;
                _readAt = System.Diagnostics.Stopwatch.GetTimestamp();
                try
                {
                    var monitoring = storage.GetMonitoringApi();
                    _depth = queues.Sum(monitoring.EnqueuedCount);
                }
                catch (Exception ex)
                {
                    logger.LogDebug(ex, "The job queue depth could not be read");
                    _depth = null;
                }
                return _depth;
            }
        }
    }
}

/// <summary>
/// Hangfire keeps its log provider in a static. When several hosts live in one process (test fixtures, or a host
/// rebuilt after a configuration change), the static may point at the logger factory of a host already disposed;
/// creating a job client then threw <see cref="ObjectDisposedException"/>. This provider degrades to no logging instead.
/// </summary>
internal sealed class ResilientHangfireLogProvider(ILoggerFactory loggerFactory) : Hangfire.Logging.ILogProvider
{
    private readonly Hangfire.AspNetCore.AspNetCoreLogProvider _inner = new(loggerFactory);

    public Hangfire.Logging.ILog GetLogger(string name)
    {
        try
        {
            return _inner.GetLogger(name);
        }
        catch (ObjectDisposedException)
        {
            return SilentLog.Instance;
        }
    }

    private sealed class SilentLog : Hangfire.Logging.ILog
    {
        public static readonly SilentLog Instance = new();

        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null) => false;
    }
}
