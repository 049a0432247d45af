using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Portal.Core.Data;

public static class DatabaseServiceCollectionExtensions
{
    /// <summary>Registers <see cref="PortalDbContext"/> for the provider named in <c>Database:Provider</c>.</summary>
    public static IServiceCollection AddPortalDatabase(this IServiceCollection services)
    {
        // Read from IConfiguration when first needed, not while registering: hosts and tests may add configuration
        // sources after registration.
        services.AddSingleton(sp => ReadOptions(sp.GetRequiredService<IConfiguration>()));
        // Use cases create a short-lived context per call through the factory (safe under Blazor circuits, which
        // live long and may run handlers concurrently); Identity's stores get the scoped context.
        services.AddDbContextFactory<PortalDbContext>((sp, db) =>
        {
            var configuration = sp.GetRequiredService<IConfiguration>();
            var provider = sp.GetRequiredService<DatabaseOptions>().Provider;
            Configure(db, provider, ConnectionString(configuration, provider));
        });
        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContext());
        services.AddHostedService<SqliteCheckpointer>();
        return services;
    }

    public static DatabaseOptions ReadOptions(IConfiguration configuration)
    {
        var options = new DatabaseOptions();
        configuration.GetSection(DatabaseOptions.Section).Bind(options);
        return options;
    }

    public static string ConnectionString(IConfiguration configuration, DatabaseProvider provider)
    {
        var connectionString = configuration.GetConnectionString("Portal");
        if (!string.IsNullOrWhiteSpace(connectionString))
            return connectionString;
        if (provider == DatabaseProvider.Sqlite)
            return DatabaseOptions.DefaultSqliteConnectionString;
        throw new InvalidOperationException(
            $"Database:Provider is {provider} but ConnectionStrings:Portal is empty. Set it in appsettings or as ConnectionStrings__Portal.");
    }

    /// <summary>The one place that knows how each provider is set up.</summary>
    public static void Configure(DbContextOptionsBuilder db, DatabaseProvider provider, string connectionString)
    {
        var migrations = DatabaseOptions.MigrationsAssembly(provider);
        switch (provider)
        {
            case DatabaseProvider.Sqlite:
                EnsureSqliteFolder(connectionString);
                db.UseSqlite(connectionString, o => o.MigrationsAssembly(migrations).CommandTimeout(120));
                db.AddInterceptors(SqlitePragmas.Instance);
                break;
            case DatabaseProvider.SqlServer:
                db.UseSqlServer(connectionString, o => o.MigrationsAssembly(migrations).EnableRetryOnFailure().CommandTimeout(120));
                break;
            case DatabaseProvider.Postgres:
                db.UseNpgsql(connectionString, o => o.MigrationsAssembly(migrations).CommandTimeout(120));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(provider), provider, "Unknown database provider.");
        }
    }

    private static void EnsureSqliteFolder(string connectionString)
    {
        var builder = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(builder.DataSource) || builder.DataSource == ":memory:")
            return;
        var folder = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
        if (!string.IsNullOrEmpty(folder))
            Directory.CreateDirectory(folder);
    }
}
