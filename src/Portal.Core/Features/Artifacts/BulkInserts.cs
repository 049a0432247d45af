using System.Data;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts.Manifests;

namespace Portal.Core.Features.Artifacts;

/// <summary>
/// The bulk writes of manifest ranges, the one place that asks which database it runs on (one implementation per
/// provider, chosen once by <see cref="DatabaseOptions.Provider"/>): a prepared command on SQLite, binary COPY on
/// PostgreSQL, SqlBulkCopy on SQL Server. Each writes in the context's open transaction.
/// </summary>
public abstract class BulkInserts
{
    // Match the migrations of all three providers (default EF Core naming).
    private protected const string Table = "RangeEntries";
    private protected static readonly string[] Columns = ["RangeDigest", "Ordinal", "Path", "Digest", "Size", "Ref", "ExtraJson"];

    /// <summary>A range's entries (at most 4,096 rows), in the open transaction.</summary>
    public abstract Task InsertRangeEntriesAsync(PortalDbContext db, BuiltRange range, CancellationToken ct);

    /// <summary>A version's range list (one row per range, a thousand for a million files), in the open transaction.</summary>
    public abstract Task InsertVersionRangesAsync(PortalDbContext db, Guid versionId, IReadOnlyList<string> rangeDigests, CancellationToken ct);

    /// <summary>
    /// Possession rows: project <paramref name="projectId"/> holds each of <paramref name="digests"/> (distinct, none held
    /// yet) since <paramref name="since"/>, in the open transaction. A link or commit of 100,000 files writes 100,000 of
    /// them; through the change tracker that took seven seconds on SQLite.
    /// </summary>
    public abstract Task InsertProjectBlobsAsync(PortalDbContext db, Guid projectId, IReadOnlyList<string> digests, DateTimeOffset since, CancellationToken ct);

    /// <summary>The value the model stores for <paramref name="since"/> (SQLite keeps UTC ticks through a converter).</summary>
    private protected static object StoredSince(PortalDbContext db, DateTimeOffset since)
    {
        var converter = db.Model.FindEntityType(typeof(ProjectBlob))!.FindProperty(nameof(ProjectBlob.Since))!.GetTypeMapping().Converter;
        return converter?.ConvertToProvider(since) ?? since;
    }

    public static BulkInserts For(DatabaseProvider provider) => provider switch
    {
        DatabaseProvider.Sqlite => new Sqlite(),
        DatabaseProvider.Postgres => new Postgres(),
        DatabaseProvider.SqlServer => new SqlServer(),
        _ => throw new InvalidOperationException($"No bulk inserts for provider {provider}."),
    };

    private sealed class Sqlite : BulkInserts
    {
        public override Task InsertProjectBlobsAsync(PortalDbContext db, Guid projectId, IReadOnlyList<string> digests, DateTimeOffset since, CancellationToken ct)
        {
            var connection = (SqliteConnection)db.Database.GetDbConnection();
            using var command = connection.CreateCommand();
            command.Transaction = (SqliteTransaction)db.Database.CurrentTransaction!.GetDbTransaction();
            command.CommandText = "INSERT INTO \"ProjectBlobs\" (\"ProjectId\", \"Digest\", \"Since\") VALUES ($project, $digest, $since)";
            command.Parameters.Add("$project", SqliteType.Text).Value = projectId.ToString().ToUpperInvariant();
            command.Parameters.Add("$since", SqliteType.Integer).Value = StoredSince(db, since);
            var digest = command.Parameters.Add("$digest", SqliteType.Text);
            command.Prepare();
            for (var i = 0; i < digests.Count; i++)
            {
                if ((i & 1023) == 0)
                    ct.ThrowIfCancellationRequested();
                digest.Value = digests[i];
                command.ExecuteNonQuery();
            }
            return Task.CompletedTask;
        }

        public override Task InsertRangeEntriesAsync(PortalDbContext db, BuiltRange range, CancellationToken ct)
        {
            var connection = (SqliteConnection)db.Database.GetDbConnection();
            using var command = connection.CreateCommand();
            command.Transaction = (SqliteTransaction)db.Database.CurrentTransaction!.GetDbTransaction();
            command.CommandText =
                $"INSERT INTO \"{Table}\" ({string.Join(", ", Columns.Select(c => $"\"{c}\""))}) VALUES ($range, $ordinal, $path, $digest, $size, $ref, $extra)";
            var rangeDigest = command.Parameters.Add("$range", SqliteType.Text);
            var ordinal = command.Parameters.Add("$ordinal", SqliteType.Integer);
            var path = command.Parameters.Add("$path", SqliteType.Text);
            var digest = command.Parameters.Add("$digest", SqliteType.Text);
            var size = command.Parameters.Add("$size", SqliteType.Integer);
            var reference = command.Parameters.Add("$ref", SqliteType.Text);
            var extra = command.Parameters.Add("$extra", SqliteType.Text);
            // Prepared once, executed per entry: SQLite has no bulk protocol, and inside one transaction this is its fastest
            // path. (Multi-row VALUES lists of 100 rows took twice the CPU, and json_each over one JSON array 1.5 times:
            // Microsoft.Data.Sqlite binds every parameter by name on each execution, and SQLite looks names up linearly in
            // the statement's parameter list.) Executed synchronously: Microsoft.Data.Sqlite's async methods run
            // synchronously anyway and only add an allocation per row; this runs on the range pipeline's own task.
            command.Prepare();
            rangeDigest.Value = range.Digest;
            for (var i = 0; i < range.Entries.Count; i++)
            {
                if ((i & 1023) == 0)
                    ct.ThrowIfCancellationRequested();
                var entry = range.Entries[i];
                ordinal.Value = i;
                path.Value = entry.Path;
                digest.Value = entry.Digest;
                size.Value = entry.Size;
                reference.Value = (object?)entry.Ref ?? DBNull.Value;
                extra.Value = (object?)entry.ExtraJson ?? DBNull.Value;
                command.ExecuteNonQuery();
            }
            return Task.CompletedTask;
        }

        public override Task InsertVersionRangesAsync(PortalDbContext db, Guid versionId, IReadOnlyList<string> rangeDigests, CancellationToken ct)
        {
            var connection = (SqliteConnection)db.Database.GetDbConnection();
            using var command = connection.CreateCommand();
            command.Transaction = (SqliteTransaction)db.Database.CurrentTransaction!.GetDbTransaction();
            command.CommandText = "INSERT INTO \"VersionRanges\" (\"VersionId\", \"Ordinal\", \"RangeDigest\") VALUES ($version, $ordinal, $range)";
            // EF Core's SQLite provider stores a Guid as its upper-case text form.
            command.Parameters.Add("$version", SqliteType.Text).Value = versionId.ToString().ToUpperInvariant();
            var ordinal = command.Parameters.Add("$ordinal", SqliteType.Integer);
            var range = command.Parameters.Add("$range", SqliteType.Text);
            command.Prepare();
            for (var i = 0; i < rangeDigests.Count; i++)
            {
                if ((i & 1023) == 0)
                    ct.ThrowIfCancellationRequested();
                ordinal.Value = i;
                range.Value = rangeDigests[i];
                command.ExecuteNonQuery();
            }
            return Task.CompletedTask;
        }
    }

    private sealed class Postgres : BulkInserts
    {
        public override async Task InsertProjectBlobsAsync(PortalDbContext db, Guid projectId, IReadOnlyList<string> digests, DateTimeOffset since, CancellationToken ct)
        {
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            await using var import = await connection.BeginBinaryImportAsync(
                "COPY \"ProjectBlobs\" (\"ProjectId\", \"Digest\", \"Since\") FROM STDIN (FORMAT BINARY)", ct);
            var at = since.ToUniversalTime();
            foreach (var digest in digests)
            {
                await import.StartRowAsync(ct);
                await import.WriteAsync(projectId, NpgsqlDbType.Uuid, ct);
                await import.WriteAsync(digest, NpgsqlDbType.Char, ct);
                await import.WriteAsync(at, NpgsqlDbType.TimestampTz, ct);
            }
            await import.CompleteAsync(ct);
        }

        public override async Task InsertRangeEntriesAsync(PortalDbContext db, BuiltRange range, CancellationToken ct)
        {
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            // COPY runs in the connection's open transaction.
            await using var import = await connection.BeginBinaryImportAsync(
                $"COPY \"{Table}\" ({string.Join(", ", Columns.Select(c => $"\"{c}\""))}) FROM STDIN (FORMAT BINARY)", ct);
            for (var i = 0; i < range.Entries.Count; i++)
            {
                var entry = range.Entries[i];
                await import.StartRowAsync(ct);
                await import.WriteAsync(range.Digest, NpgsqlDbType.Char, ct);
                await import.WriteAsync(i, NpgsqlDbType.Integer, ct);
                await import.WriteAsync(entry.Path, NpgsqlDbType.Varchar, ct);
                await import.WriteAsync(entry.Digest, NpgsqlDbType.Char, ct);
                await import.WriteAsync(entry.Size, NpgsqlDbType.Bigint, ct);
                if (entry.Ref is null)
                    await import.WriteNullAsync(ct);
                else
                    await import.WriteAsync(entry.Ref, NpgsqlDbType.Varchar, ct);
                if (entry.ExtraJson is null)
                    await import.WriteNullAsync(ct);
                else
                    await import.WriteAsync(entry.ExtraJson, NpgsqlDbType.Text, ct);
            }
            await import.CompleteAsync(ct);
        }

        public override async Task InsertVersionRangesAsync(PortalDbContext db, Guid versionId, IReadOnlyList<string> rangeDigests, CancellationToken ct)
        {
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            await using var import = await connection.BeginBinaryImportAsync(
                "COPY \"VersionRanges\" (\"VersionId\", \"Ordinal\", \"RangeDigest\") FROM STDIN (FORMAT BINARY)", ct);
            for (var i = 0; i < rangeDigests.Count; i++)
            {
                await import.StartRowAsync(ct);
                await import.WriteAsync(versionId, NpgsqlDbType.Uuid, ct);
                await import.WriteAsync(i, NpgsqlDbType.Integer, ct);
                await import.WriteAsync(rangeDigests[i], NpgsqlDbType.Char, ct);
            }
            await import.CompleteAsync(ct);
        }
    }

    private sealed class SqlServer : BulkInserts
    {
        public override async Task InsertProjectBlobsAsync(PortalDbContext db, Guid projectId, IReadOnlyList<string> digests, DateTimeOffset since, CancellationToken ct)
        {
            var connection = (SqlConnection)db.Database.GetDbConnection();
            using var rows = new DataTable("ProjectBlobs");
            rows.Columns.Add("ProjectId", typeof(Guid));
            rows.Columns.Add("Digest", typeof(string));
            rows.Columns.Add("Since", typeof(DateTimeOffset));
            foreach (var digest in digests)
                rows.Rows.Add(projectId, digest, since);
            using var bulk = new SqlBulkCopy(connection, SqlBulkCopyOptions.CheckConstraints, (SqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction())
            {
                DestinationTableName = "[ProjectBlobs]",
                BatchSize = 10_000,
            };
            foreach (DataColumn column in rows.Columns)
                bulk.ColumnMappings.Add(column.ColumnName, column.ColumnName);
            await bulk.WriteToServerAsync(rows, ct);
        }

        public override async Task InsertRangeEntriesAsync(PortalDbContext db, BuiltRange range, CancellationToken ct)
        {
            var connection = (SqlConnection)db.Database.GetDbConnection();
            var transaction = (SqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction();
            // A range has at most 4,096 entries, so one DataTable per range stays small.
            using var rows = new DataTable(Table);
            rows.Columns.Add(Columns[0], typeof(string));
            rows.Columns.Add(Columns[1], typeof(int));
            rows.Columns.Add(Columns[2], typeof(string));
            rows.Columns.Add(Columns[3], typeof(string));
            rows.Columns.Add(Columns[4], typeof(long));
            rows.Columns.Add(Columns[5], typeof(string));
            rows.Columns.Add(Columns[6], typeof(string));
            for (var i = 0; i < range.Entries.Count; i++)
            {
                var entry = range.Entries[i];
                rows.Rows.Add(range.Digest, i, entry.Path, entry.Digest, entry.Size, (object?)entry.Ref ?? DBNull.Value, (object?)entry.ExtraJson ?? DBNull.Value);
            }

            using var bulk = new SqlBulkCopy(connection, SqlBulkCopyOptions.CheckConstraints, transaction)
            {
                DestinationTableName = $"[{Table}]",
                BatchSize = 0,
            };
            foreach (var column in Columns)
                bulk.ColumnMappings.Add(column, column);
            await bulk.WriteToServerAsync(rows, ct);
        }

        public override async Task InsertVersionRangesAsync(PortalDbContext db, Guid versionId, IReadOnlyList<string> rangeDigests, CancellationToken ct)
        {
            var connection = (SqlConnection)db.Database.GetDbConnection();
            using var rows = new DataTable("VersionRanges");
            rows.Columns.Add("VersionId", typeof(Guid));
            rows.Columns.Add("Ordinal", typeof(int));
            rows.Columns.Add("RangeDigest", typeof(string));
            for (var i = 0; i < rangeDigests.Count; i++)
                rows.Rows.Add(versionId, i, rangeDigests[i]);
            using var bulk = new SqlBulkCopy(connection, SqlBulkCopyOptions.CheckConstraints, (SqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction())
            {
                DestinationTableName = "[VersionRanges]",
                BatchSize = 0,
            };
            foreach (DataColumn column in rows.Columns)
                bulk.ColumnMappings.Add(column.ColumnName, column.ColumnName);
            await bulk.WriteToServerAsync(rows, ct);
        }
    }
}
