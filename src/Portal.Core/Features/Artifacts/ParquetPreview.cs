using System.Globalization;
using Parquet;
using Parquet.Schema;

namespace Portal.Core.Features.Artifacts;

/// <summary>
/// A Parquet file as a table: the schema and the row count from the footer, then rows and statistics from the first
/// row group only, so a many-gigabyte file previews by reading its footer and one row group, never the whole file.
/// </summary>
public static class ParquetPreview
{
    /// <summary>
    /// A first row group larger than this (uncompressed, as its footer says) is not read; the preview shows the schema
    /// and says why. Parquet writers cut row groups by bytes (pyarrow, Spark: 64–128 MB) rather than rows, so the limit is
    /// in bytes too: a group of a million narrow rows is cheap, one of a thousand wide rows may not be.
    /// </summary>
    public const long MaxRowGroupBytes = 96L * 1024 * 1024;

    public static async Task<FilePreviewResponse> BuildAsync(string path, long size, string digest, Stream stream, CancellationToken ct)
    {
        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(stream, leaveStreamOpen: true, cancellationToken: ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Parquet.Net throws its own and the runtime's exception types for a damaged footer; any of them means "not readable".
            return new FilePreviewResponse(path, PreviewKind.Binary, size, digest, false, null, [], [], 0, $"Not a readable Parquet file: {ex.Message}");
        }

        await using (reader)
        {
            var fields = reader.Schema.GetDataFields();
            var totalRows = reader.Metadata?.NumRows ?? 0;
            var columns = fields.Select(f => new PreviewColumn(ColumnName(f), TypeName(f), 0)).ToList();
            if (reader.RowGroupCount == 0 || fields.Length == 0)
            {
                return new FilePreviewResponse(path, PreviewKind.Parquet, size, digest, false, null, columns, [], 0, "The file holds no rows.")
                {
                    TotalRows = totalRows,
                    StatsWholeFile = true,
                };
            }

            FilePreviewResponse SchemaOnly(string why) =>
                new(path, PreviewKind.Parquet, size, digest, false, null, columns, [], 0, $"{totalRows:N0} rows in {reader.RowGroupCount:N0} row groups. {why} Only the schema is shown.")
                {
                    TotalRows = totalRows,
                };

            var groupBytes = reader.Metadata?.RowGroups is { Count: > 0 } groups ? groups[0].TotalByteSize : 0;
            if (groupBytes > MaxRowGroupBytes)
                return SchemaOnly($"Its first row group holds {groupBytes / (1024 * 1024):N0} MB uncompressed, more than a preview reads ({MaxRowGroupBytes / (1024 * 1024):N0} MB).");

            // Only the first row group is read: its column chunks, found through the footer, whatever the file's size.
            using var group = reader.OpenRowGroupReader(0);
            var rows = (int)Math.Min(group.RowCount, int.MaxValue);
            var values = new List<string?[]>(fields.Length);
            try
            {
                foreach (var field in fields)
                    values.Add(await ReadColumnAsync(group, field, rows, ct));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return SchemaOnly($"Its first row group could not be read ({ex.Message}).");
            }

            var shown = Math.Min(rows, FilePreview.MaxRows);
            var table = Enumerable.Range(0, shown)
                .Select(r => (IReadOnlyList<string>)values.Select(column => column[r] ?? "").ToList())
                .ToList();
            var statsRows = Math.Min(rows, FilePreview.MaxStatsRows);
            var stats = fields.Select((f, i) => ColumnStatistics.Compute(ColumnName(f), new ArraySegment<string?>(values[i], 0, statsRows), columns[i].Type)).ToList();
            var withEmpty = columns.Select((c, i) => c with { Empty = table.Count(row => row[i].Length == 0) }).ToList();
            var truncated = totalRows > shown;
            return new FilePreviewResponse(path, PreviewKind.Parquet, size, digest, truncated, null, withEmpty, table, shown,
                truncated ? $"First {shown:N0} of {totalRows:N0} rows ({reader.RowGroupCount:N0} row {(reader.RowGroupCount == 1 ? "group" : "groups")})." : null)
            {
                Stats = stats,
                StatsRows = statsRows,
                StatsWholeFile = statsRows == totalRows,
                TotalRows = totalRows,
            };
        }
    }

    private static string ColumnName(DataField field) => string.Join('.', field.Path.ToList());

    /// <summary>A short type name for a column header: int64, double, string, timestamp, list&lt;…&gt; ….</summary>
    internal static string TypeName(DataField field)
    {
        var type = Nullable.GetUnderlyingType(field.ClrType) ?? field.ClrType;
        var name = type switch
        {
            _ when type == typeof(bool) => "bool",
            _ when type == typeof(sbyte) => "int8",
            _ when type == typeof(byte) => "uint8",
            _ when type == typeof(short) => "int16",
            _ when type == typeof(ushort) => "uint16",
            _ when type == typeof(int) => "int32",
            _ when type == typeof(uint) => "uint32",
            _ when type == typeof(long) => "int64",
            _ when type == typeof(ulong) => "uint64",
            _ when type == typeof(float) => "float",
            _ when type == typeof(double) => "double",
            _ when type == typeof(decimal) => "decimal",
            _ when type == typeof(string) || type == typeof(ReadOnlyMemory<char>) => "string",
            _ when type == typeof(byte[]) => "binary",
            _ when type == typeof(DateTime) || type == typeof(DateTimeOffset) => "timestamp",
            _ when type == typeof(DateOnly) => "date",
            _ when type == typeof(TimeOnly) || type == typeof(TimeSpan) => "time",
            _ when type == typeof(Guid) => "uuid",
            _ => type.Name.ToLowerInvariant(),
        };
        return field.IsArray ? $"list<{name}>" : name;
    }

    private static async Task<string?[]> ReadColumnAsync(ParquetRowGroupReader group, DataField field, int rows, CancellationToken ct)
    {
        // Repeated (list) and nested columns have more values than rows; the preview leaves them out of the table.
        if (field.IsArray || field.MaxRepetitionLevel > 0)
            return new string?[rows];
        var type = Nullable.GetUnderlyingType(field.ClrType) ?? field.ClrType;
        // Strings may be typed as ReadOnlyMemory<char> in the schema; the string overload reads them either way.
        if (type == typeof(string) || type == typeof(ReadOnlyMemory<char>))
        {
            var buffer = new string?[rows];
            await group.ReadAsync(field, buffer.AsMemory(), null, ct);
            return buffer;
        }

        if (type == typeof(byte[]))
        {
            var buffer = new byte[]?[rows];
            await group.ReadAsync(field, buffer.AsMemory()!, null, ct);
            return buffer.Select(b => b is null ? null : $"{b.Length} bytes").ToArray();
        }

        return type switch
        {
            _ when type == typeof(bool) => await ReadAsync<bool>(group, field, rows, ct),
            _ when type == typeof(sbyte) => await ReadAsync<sbyte>(group, field, rows, ct),
            _ when type == typeof(byte) => await ReadAsync<byte>(group, field, rows, ct),
            _ when type == typeof(short) => await ReadAsync<short>(group, field, rows, ct),
            _ when type == typeof(ushort) => await ReadAsync<ushort>(group, field, rows, ct),
            _ when type == typeof(int) => await ReadAsync<int>(group, field, rows, ct),
            _ when type == typeof(uint) => await ReadAsync<uint>(group, field, rows, ct),
            _ when type == typeof(long) => await ReadAsync<long>(group, field, rows, ct),
            _ when type == typeof(ulong) => await ReadAsync<ulong>(group, field, rows, ct),
            _ when type == typeof(float) => await ReadAsync<float>(group, field, rows, ct),
            _ when type == typeof(double) => await ReadAsync<double>(group, field, rows, ct),
            _ when type == typeof(decimal) => await ReadAsync<decimal>(group, field, rows, ct),
            _ when type == typeof(DateTime) => await ReadAsync<DateTime>(group, field, rows, ct),
            _ when type == typeof(DateTimeOffset) => await ReadAsync<DateTimeOffset>(group, field, rows, ct),
            _ when type == typeof(DateOnly) => await ReadAsync<DateOnly>(group, field, rows, ct),
            _ when type == typeof(TimeOnly) => await ReadAsync<TimeOnly>(group, field, rows, ct),
            _ when type == typeof(TimeSpan) => await ReadAsync<TimeSpan>(group, field, rows, ct),
            _ when type == typeof(Guid) => await ReadAsync<Guid>(group, field, rows, ct),
            _ => new string?[rows],
        };
    }

    private static async Task<string?[]> ReadAsync<T>(ParquetRowGroupReader group, DataField field, int rows, CancellationToken ct)
        where T : struct
    {
        if (field.IsNullable)
        {
            var nullable = new T?[rows];
            await group.ReadAsync(field, nullable.AsMemory(), null, ct);
            return nullable.Select(v => v is { } value ? Format(value) : null).ToArray();
        }

        var buffer = new T[rows];
        await group.ReadAsync(field, buffer.AsMemory(), null, ct);
        return buffer.Select(v => Format(v)).ToArray();
    }

    private static string Format<T>(T value) => value switch
    {
        DateTime d => d.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture).TrimEnd('.'),
        DateTimeOffset d => d.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value?.ToString() ?? "",
    };
}
