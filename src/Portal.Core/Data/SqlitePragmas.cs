using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Portal.Core.Data;

/// <summary>
/// SQLite settings for a server workload, applied to every connection: write-ahead logging lets readers run while a
/// version commits, and synchronous=NORMAL (safe with WAL: a crash loses no committed transaction's integrity, at most
/// the last ones) turns each small transaction's several fsyncs into one at checkpoint. Checkpoints run in the
/// background (<see cref="SqliteCheckpointer"/>); the automatic one, which a committing request pays for, only starts
/// once the log holds 64 MiB. Each connection may cache up to 32 MiB of pages (SQLite's default is 2 MiB): inserting a
/// large manifest's entries touches index pages all over the table, and with the small cache most of that time went
/// into writing pages out and reading them back.
/// </summary>
public sealed class SqlitePragmas : DbConnectionInterceptor
{
    public static readonly SqlitePragmas Instance = new();

    private const string Pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-32768; PRAGMA wal_autocheckpoint=16384;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
