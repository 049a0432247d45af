using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using Parquet;
using Parquet.Schema;

namespace Portal.Core.Features.Changes;

/// <summary>
/// The rows of a Parquet file, a row group at a time, as canonical JSON objects of column name (nested names joined by
/// <c>.</c>) to typed value: integers and decimals as numbers, floating point as <see cref="RowDigest.FormatDouble"/>
/// (NaN and infinities as the strings <c>"NaN"</c>, <c>"Infinity"</c>, <c>"-Infinity"</c>), booleans, strings,
/// timestamps as ISO 8601 strings (<c>yyyy-MM-ddTHH:mm:ss.fffffffZ</c> style, UTC offsets kept), dates as
/// <c>yyyy-MM-dd</c>, times as <c>HH:mm:ss.fffffff</c>, UUIDs in lower-case <c>D</c> form, binary as base64; null as null.
/// Parquet needs to seek, so the blob is copied to a temporary file first. Files with repeated (list) columns are
/// reported, not read.
/// </summary>
public static class ParquetRows
{
    public static async IAsyncEnumerable<List<TabularRow>> ReadAsync(Stream raw, string? keyColumn, [EnumeratorCancellation] CancellationToken ct)
    {
        var temp = Path.Combine(Path.GetTempPath(), "portal-changes-" + Guid.NewGuid().ToString("N") + ".parquet");
        await using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        await raw.CopyToAsync(file, ct);
        file.Position = 0;
        ParquetReader? reader = null;
        string? error = null;
        try
        {
            reader = await ParquetReader.CreateAsync(file, leaveStreamOpen: true, cancellationToken: ct);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            error = "Not a readable Parquet file: " + ex.Message;
        }

        if (reader is null)
        {
            yield return [new TabularRow(1, null, null, null, error)];
            yield break;
        }

        await using (reader)
        {
            var fields = reader.Schema.GetDataFields();
            if (fields.Any(f => f.IsArray || f.MaxRepetitionLevel > 0))
            {
                yield return [new TabularRow(1, null, null, null, "The file has repeated (list) columns, which the change feed does not read row by row.")];
                yield break;
            }

            var names = fields.Select(f => string.Join('.', f.Path.ToList())).ToList();
            var order = Enumerable.Range(0, names.Count).OrderBy(i => names[i], StringComparer.Ordinal).ThenBy(i => i).ToArray();
            var key = TabularRows.ChooseKey(keyColumn, names);
            var keyIndex = key is null ? -1 : names.IndexOf(key);
            long rowNumber = 0;
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                var rows = checked((int)group.RowCount);
                var columns = new List<object?[]>(fields.Length);
                foreach (var field in fields)
                    columns.Add(await ReadColumnAsync(group, field, rows, ct));
                var batch = new List<TabularRow>(rows);
                for (var r = 0; r < rows; r++)
                {
                    var buffer = new ArrayBufferWriter<byte>(64 * names.Count);
                    buffer.Write("{"u8);
                    for (var i = 0; i < order.Length; i++)
                    {
                        if (i > 0)
                            buffer.Write(","u8);
                        RowDigest.WriteString(names[order[i]], buffer);
                        buffer.Write(":"u8);
                        WriteValue(columns[order[i]][r], buffer);
                    }

                    buffer.Write("}"u8);
                    var keyValue = keyIndex >= 0 ? columns[keyIndex][r] : null;
                    var keyText = keyValue is null ? null : KeyText(keyValue);
                    batch.Add(new TabularRow(++rowNumber, buffer.WrittenSpan.ToArray(), keyText is null ? null : key, keyText, null));
                }

                yield return batch;
            }
        }
    }

    private static string KeyText(object value)
    {
        if (value is string s)
            return s;
        var buffer = new ArrayBufferWriter<byte>();
        WriteValue(value, buffer);
        var text = System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
        return text.Length >= 2 && text[0] == '"' ? text[1..^1] : text;
    }

    public static void WriteValue(object? value, IBufferWriter<byte> output)
    {
        switch (value)
        {
            case null:
                Raw(output, "null");
                break;
            case string s:
                RowDigest.WriteString(s, output);
                break;
            case bool b:
                Raw(output, b ? "true" : "false");
                break;
            case double d:
                WriteFloat(d, output);
                break;
            case float f:
                WriteFloat(f, output);
                break;
            case decimal m:
                Raw(output, RowDigest.CanonicalNumber(m.ToString(CultureInfo.InvariantCulture)));
                break;
            case sbyte or byte or short or ushort or int or uint or long or ulong:
                Raw(output, ((IFormattable)value).ToString(null, CultureInfo.InvariantCulture));
                break;
            case DateTime t:
                RowDigest.WriteString(t.ToString(t.Kind == DateTimeKind.Utc ? "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'" : "yyyy-MM-dd'T'HH:mm:ss.fffffff", CultureInfo.InvariantCulture), output);
                break;
            case DateTimeOffset t:
                RowDigest.WriteString(t.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffffzzz", CultureInfo.InvariantCulture), output);
                break;
            case DateOnly d:
                RowDigest.WriteString(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), output);
                break;
            case TimeOnly t:
                RowDigest.WriteString(t.ToString("HH:mm:ss.fffffff", CultureInfo.InvariantCulture), output);
                break;
            case TimeSpan t:
                RowDigest.WriteString(t.ToString("c", CultureInfo.InvariantCulture), output);
                break;
            case Guid g:
                RowDigest.WriteString(g.ToString("D"), output);
                break;
            case byte[] bytes:
                RowDigest.WriteString(Convert.ToBase64String(bytes), output);
                break;
            default:
                RowDigest.WriteString(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "", output);
                break;
        }
    }

    private static void WriteFloat(double value, IBufferWriter<byte> output)
    {
        if (double.IsNaN(value))
            RowDigest.WriteString("NaN", output);
        else if (double.IsInfinity(value))
            RowDigest.WriteString(value > 0 ? "Infinity" : "-Infinity", output);
        else
            Raw(output, RowDigest.FormatDouble(value));
    }

    private static void Raw(IBufferWriter<byte> output, string text)
    {
        var count = System.Text.Encoding.ASCII.GetBytes(text, output.GetSpan(text.Length));
        output.Advance(count);
    }

    private static async Task<object?[]> ReadColumnAsync(ParquetRowGroupReader group, DataField field, int rows, CancellationToken ct)
    {
        var type = Nullable.GetUnderlyingType(field.ClrType) ?? field.ClrType;
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
            return buffer;
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
            _ => throw new NotSupportedException($"Column '{field.Name}' has type {type.Name}, which the change feed does not read."),
        };
    }

    private static async Task<object?[]> ReadAsync<T>(ParquetRowGroupReader group, DataField field, int rows, CancellationToken ct)
        where T : struct
    {
        if (field.IsNullable)
        {
            var nullable = new T?[rows];
            await group.ReadAsync(field, nullable.AsMemory(), null, ct);
            return nullable.Select(v => v is { } value ? (object?)value : null).ToArray();
        }

        var buffer = new T[rows];
        await group.ReadAsync(field, buffer.AsMemory(), null, ct);
        return buffer.Select(v => (object?)v).ToArray();
    }
}
