namespace Portal.Core.Data;

/// <summary>The database behind the portal. Read once, from <c>Database:Provider</c>; everything provider-specific hangs off it.</summary>
public enum DatabaseProvider
{
    Sqlite,
    SqlServer,
    Postgres,
}

public sealed class DatabaseOptions
{
    public const string Section = "Database";

    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>Apply pending migrations at start-up. Defaults to true for SQLite, false otherwise (DBAs run the script).</summary>
    public bool? MigrateOnStartup { get; set; }

    public bool ShouldMigrateOnStartup => MigrateOnStartup ?? Provider == DatabaseProvider.Sqlite;

    public static string MigrationsAssembly(DatabaseProvider provider) => provider switch
    {
        DatabaseProvider.Sqlite => "Portal.Migrations.Sqlite",
        DatabaseProvider.SqlServer => "Portal.Migrations.SqlServer",
        DatabaseProvider.Postgres => "Portal.Migrations.Postgres",
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, null),
    };

    public const string DefaultSqliteConnectionString = "Data Source=data/portal.db";
}

public static class DatabaseProviders
{
    /// <summary>
    /// The provider a context runs on, as the same <see cref="DatabaseProvider"/> the settings name: for code that holds
    /// a context but not the options (model building, static queries).
    /// </summary>
    public static DatabaseProvider Provider(this Microsoft.EntityFrameworkCore.Infrastructure.DatabaseFacade database) => database.ProviderName switch
    {
        "Microsoft.EntityFrameworkCore.Sqlite" => DatabaseProvider.Sqlite,
        "Microsoft.EntityFrameworkCore.SqlServer" => DatabaseProvider.SqlServer,
        "Npgsql.EntityFrameworkCore.PostgreSQL" => DatabaseProvider.Postgres,
        var other => throw new InvalidOperationException($"The portal does not run on the database provider '{other}'."),
    };
}
