using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Portal.Core.Data;

/// <summary>
/// The portal expects read-committed snapshot isolation on SQL Server: its writers lock rows with no-op updates (the
/// artifact row, the audit chain head) for the length of a write, and under plain READ COMMITTED every reader of
/// those rows (pages, /healthz) would wait for the writer to commit. The DBA script turns it on; start-up warns when
/// it is off. (PostgreSQL's READ COMMITTED reads snapshots already; SQLite has one writer and readers that never wait
/// in WAL mode.)
/// </summary>
public static class SnapshotIsolation
{
    /// <summary>The warning to log for the database's setting, or null when there is nothing to say.</summary>
    public static string? Warning(DatabaseProvider provider, bool? readCommittedSnapshotOn) =>
        provider != DatabaseProvider.SqlServer || readCommittedSnapshotOn == true
            ? null
            : readCommittedSnapshotOn is null
                ? "Could not read whether READ_COMMITTED_SNAPSHOT is on for the portal's SQL Server database (sys.databases). The portal expects it on: readers otherwise wait for writers' row locks. Run the DBA script (infra/scripts/sql-script.sh), which turns it on."
                : "READ_COMMITTED_SNAPSHOT is off for the portal's SQL Server database, so pages and /healthz wait for writers' row locks. Turn it on: ALTER DATABASE CURRENT SET READ_COMMITTED_SNAPSHOT ON WITH ROLLBACK IMMEDIATE (the DBA script from infra/scripts/sql-script.sh does).";

    /// <summary>Reads the setting on SQL Server (null elsewhere or when it cannot be read) and logs the warning, if any.</summary>
    public static async Task CheckAsync(PortalDbContext db, ILogger logger, CancellationToken ct = default)
    {
        var provider = db.Database.Provider();
        if (provider != DatabaseProvider.SqlServer)
            return;
        bool? on = null;
        try
        {
            on = await db.Database.SqlQueryRaw<bool>(
                    "SELECT is_read_committed_snapshot_on AS [Value] FROM sys.databases WHERE database_id = DB_ID()")
                .SingleOrDefaultAsync(ct);
        }
        catch (Exception e) when (e is Microsoft.Data.SqlClient.SqlException or InvalidOperationException)
        {
            logger.LogDebug(e, "Reading is_read_committed_snapshot_on failed");
        }

        if (Warning(provider, on) is { } warning)
            logger.LogWarning("{Warning}", warning);
    }
}
