using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Portal.Core.Data;

/// <summary>
/// Copies SQLite's write-ahead log back into the database file in the background, about once a second. Without it
/// the request that happens to push the log past its limit pays for the copy and its fsync; a version upload writing
/// 100,000 manifest entries paid for a dozen of them. <see cref="SqlitePragmas"/> raises that limit so requests
/// seldom reach it, and this service keeps the log short in between. A passive checkpoint never blocks readers or
/// writers, and with nothing new in the log it does no I/O.
/// </summary>
public sealed class SqliteCheckpointer(IConfiguration configuration, DatabaseOptions database, ILogger<SqliteCheckpointer> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (database.Provider != DatabaseProvider.Sqlite)
            return;
        var builder = new SqliteConnectionStringBuilder(DatabaseServiceCollectionExtensions.ConnectionString(configuration, DatabaseProvider.Sqlite));
        if (string.IsNullOrEmpty(builder.DataSource) || builder.DataSource == ":memory:" || builder.Mode == SqliteOpenMode.Memory)
            return;

        using var timer = new PeriodicTimer(Interval);
        var failures = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await CheckpointAsync(builder.ConnectionString, stoppingToken);
                    failures = 0;
                }
                catch (SqliteException ex)
                {
                    // Busy or locked now; the next tick tries again. Logged once per run of failures.
                    if (failures++ == 0)
                        logger.LogWarning(ex, "SQLite checkpoint failed; retrying every {Interval}", Interval);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One passive checkpoint; returns the frames in the log and how many of them are now in the database file.</summary>
    public static async Task<(long LogFrames, long CheckpointedFrames)> CheckpointAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetInt64(1), reader.GetInt64(2)) : (0, 0);
    }
}
