using Hangfire.SqlServer;

namespace Portal.Web.Infrastructure;

/// <summary>
/// The parts of the SQL Server DBA script the EF Core migrations do not write (<c>infra/scripts/sql-script.sh</c> runs
/// <c>Portal.Web sql-server-script jobs|grants</c>): Hangfire's job storage schema and read-committed snapshot
/// isolation, which the migration job applies with the migrations; and the rights of the portal's database user, who
/// needs no DDL rights once <c>Jobs:PrepareSchema</c> is false.
/// </summary>
public static class SqlServerDbaScript
{
    public const string Command = "sql-server-script";

    /// <summary>Hangfire's default schema, which <c>UseSqlServerStorage</c> uses.</summary>
    public const string JobsSchemaName = "HangFire";

    /// <summary>The database role whose rights the portal's user gets.</summary>
    public const string Role = "portal_app";

    public static bool IsCommand(string[] args) => args.Length > 0 && args[0] == Command;

    public static int Run(string[] args, TextWriter output, TextWriter errors)
    {
        switch (args)
        {
            case [_, "jobs"]:
                output.Write(JobsSchema());
                return 0;
            case [_, "grants"]:
                output.Write(Grants());
                return 0;
            default:
                errors.WriteLine($"usage: Portal.Web {Command} jobs|grants");
                return 2;
        }
    }

    /// <summary>
    /// Read-committed snapshot isolation (readers see the last committed row instead of waiting for a writer's lock;
    /// the portal's writers lock rows with no-op updates, so without it pages and /healthz would queue behind them),
    /// then Hangfire's schema as its own installer writes it (idempotent: it records its version and only upgrades).
    /// </summary>
    public static string JobsSchema() =>
        $"""

        -- Read-committed snapshot isolation, which the portal expects (it warns at start-up when it is off). Changing it
        -- needs the database to itself for a moment; once on, this does nothing.
        IF EXISTS (SELECT 1 FROM sys.databases WHERE database_id = DB_ID() AND is_read_committed_snapshot_on = 0)
            ALTER DATABASE CURRENT SET READ_COMMITTED_SNAPSHOT ON WITH ROLLBACK IMMEDIATE;
        GO

        -- Hangfire's job storage (schema [{JobsSchemaName}]), as Hangfire.SqlServer's installer writes it. With it in place
        -- the portal runs with Jobs:PrepareSchema=false and its login needs no DDL rights.
        {SqlServerObjectsInstaller.GetInstallScript(JobsSchemaName, false)}
        GO

        """;

    /// <summary>The role with the portal's rights (data in every schema, no DDL), for the DBA to give the portal's user.</summary>
    public static string Grants() =>
        $"""
        -- Rights of the portal's database user: read and write the data of the portal's and Hangfire's tables; no DDL
        -- (schema changes come from the migration script, run by the DBA or the migration job with its own login).
        -- Afterwards: CREATE USER [portal] FOR LOGIN [portal]; ALTER ROLE [{Role}] ADD MEMBER [portal];
        IF DATABASE_PRINCIPAL_ID(N'{Role}') IS NULL
            CREATE ROLE [{Role}];
        GO
        ALTER ROLE [db_datareader] ADD MEMBER [{Role}];
        ALTER ROLE [db_datawriter] ADD MEMBER [{Role}];
        -- The start-up check of read-committed snapshot isolation reads sys.databases (visible to every user) and
        -- Hangfire takes application locks (sp_getapplock, granted to public): nothing more is needed.
        GO

        """;
}
