using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Portal.Core.Features.Compare;
using Portal.Core.Features.Validation;

namespace Portal.Core.Features.Changes;

/// <summary>
/// One row of a tabular file as the change feed sees it: its canonical JSON (<see cref="RowDigest"/>), the key it is
/// matched by (null: matched by content), or why it could not be read.
/// </summary>
public sealed record TabularRow(long Line, byte[]? Canonical, string? KeyColumn, string? Key, string? Error)
{
    /// <summary>The row's <see cref="RowDigest"/>; empty for a row that could not be read.</summary>
    public string Digest => field ??= Canonical is null ? "" : RowDigest.Of(Canonical);
}

/// <summary>Which files the change feed reads row by row, and how.</summary>
public enum RowFormat
{
    None,
    Jsonl,
    Csv,
    Tsv,
    Parquet,
}

/// <summary>
/// Streams the rows of a JSONL, CSV/TSV (gzip looked through) or Parquet file in batches, so memory follows a batch,
/// not the file. The key column is the one given when the file has it, else the first of
/// <see cref="RowDiffEngine.KeyColumnNames"/> the file has (as the row diff detects it); rows without a key value are
/// matched by content.
/// </summary>
public static class TabularRows
{
    private const int BatchRows = 4096;

    public static RowFormat FormatOf(string path)
    {
        if (path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase))
            return RowFormat.Parquet;
        return FileFormats.Of(path) switch
        {
            FileFormat.Jsonl => RowFormat.Jsonl,
            FileFormat.Csv => RowFormat.Csv,
            FileFormat.Tsv => RowFormat.Tsv,
            _ => RowFormat.None,
        };
    }

    public static IAsyncEnumerable<List<TabularRow>> ReadAsync(Stream raw, string path, string? keyColumn, CancellationToken ct) =>
        FormatOf(path) switch
        {
            RowFormat.Jsonl => ReadJsonlAsync(LineReader.Decode(raw, path), keyColumn, ct),
            RowFormat.Csv => ReadDelimitedAsync(LineReader.Decode(raw, path), (byte)',', keyColumn, ct),
            RowFormat.Tsv => ReadDelimitedAsync(LineReader.Decode(raw, path), (byte)'\t', keyColumn, ct),
            RowFormat.Parquet => ParquetRows.ReadAsync(raw, keyColumn, ct),
            _ => throw new ArgumentException($"'{path}' is not a tabular file.", nameof(path)),
        };

    public static string? ChooseKey(string? given, IReadOnlyCollection<string> names)
    {
        if (given is not null)
            return names.Contains(given) ? given : null;
        return RowDiffEngine.KeyColumnNames.FirstOrDefault(names.Contains);
    }

    private static async IAsyncEnumerable<List<TabularRow>> ReadJsonlAsync(Stream stream, string? keyColumn, [EnumeratorCancellation] CancellationToken ct)
    {
        string? key = null;
        var decided = false;
        await foreach (var lines in ReadLinesAsync(stream, ct))
        {
            var batch = new List<TabularRow>(lines.Count);
            foreach (var (number, bytes) in lines)
            {
                if (bytes.AsSpan().Trim(" \t"u8).IsEmpty)
                    continue;
                try
                {
                    using var document = JsonDocument.Parse(bytes);
                    var root = document.RootElement;
                    if (!decided && root.ValueKind == JsonValueKind.Object)
                    {
                        key = ChooseKey(keyColumn, root.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal));
                        decided = true;
                    }

                    var buffer = new ArrayBufferWriter<byte>(bytes.Length + 16);
                    RowDigest.Write(root, buffer);
                    string? keyText = null;
                    if (key is not null && root.ValueKind == JsonValueKind.Object && root.TryGetProperty(key, out var value))
                        keyText = KeyText(value);
                    batch.Add(new TabularRow(number, buffer.WrittenSpan.ToArray(), keyText is null ? null : key, keyText, null));
                }
                catch (JsonException ex)
                {
                    batch.Add(new TabularRow(number, null, null, null, "Not valid JSON: " + ex.Message));
                }
            }

            yield return batch;
        }
    }

    /// <summary>The key as text: a string as itself, a number or other value as its canonical JSON; null has no key.</summary>
    public static string? KeyText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.String => value.GetString(),
        _ => Encoding.UTF8.GetString(Canonical(value)),
    };

    private static byte[] Canonical(JsonElement value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        RowDigest.Write(value, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static async IAsyncEnumerable<List<TabularRow>> ReadDelimitedAsync(Stream stream, byte delimiter, string? keyColumn, [EnumeratorCancellation] CancellationToken ct)
    {
        var records = new CsvRecords();
        List<string>? header = null;
        int[] order = [];
        var keyIndex = -1;
        await foreach (var lines in ReadLinesAsync(stream, ct))
        {
            var batch = new List<TabularRow>(lines.Count);
            foreach (var (number, bytes) in lines)
            {
                if (records.Add(number, bytes, out var first, out var record))
                    OnRecord(first, record, batch);
            }

            yield return batch;
        }

        if (records.Pending(out var openLine, out _))
            yield return [new TabularRow(openLine, null, null, null, "A quoted field is not closed before the end of the file.")];

        void OnRecord(long line, ReadOnlySpan<byte> record, List<TabularRow> batch)
        {
            var fields = CsvFields.Split(record, delimiter);
            if (header is null)
            {
                if (fields is null)
                {
                    batch.Add(new TabularRow(line, null, null, null, "The header has a malformed quoted field."));
                    return;
                }

                header = fields;
                if (header.Count > 0 && header[0].StartsWith('\uFEFF'))
                    header[0] = header[0][1..];
                order = Enumerable.Range(0, header.Count).OrderBy(i => header[i], StringComparer.Ordinal).ThenBy(i => i).ToArray();
                var key = ChooseKey(keyColumn, header);
                keyIndex = key is null ? -1 : header.IndexOf(key);
                return;
            }

            if (fields is null)
            {
                batch.Add(new TabularRow(line, null, null, null, "A quoted field is malformed."));
                return;
            }

            if (fields.Count == 1 && fields[0].Length == 0)
                return;
            if (fields.Count != header.Count)
            {
                batch.Add(new TabularRow(line, null, null, null, $"The row has {fields.Count} fields; the header names {header.Count}."));
                return;
            }

            var buffer = new ArrayBufferWriter<byte>(record.Length + header.Count * 8);
            buffer.Write("{"u8);
            for (var i = 0; i < order.Length; i++)
            {
                if (i > 0)
                    buffer.Write(","u8);
                RowDigest.WriteString(header[order[i]], buffer);
                buffer.Write(":"u8);
                RowDigest.WriteString(fields[order[i]], buffer);
            }

            buffer.Write("}"u8);
            var keyText = keyIndex >= 0 && fields[keyIndex].Length > 0 ? fields[keyIndex] : null;
            batch.Add(new TabularRow(line, buffer.WrittenSpan.ToArray(), keyText is null ? null : header[keyIndex], keyText, null));
        }
    }

    /// <summary>
    /// Lines in batches of up to <see cref="BatchRows"/>, copied out of the read buffer. Lines end at LF or CRLF; a UTF-8
    /// byte order mark is not part of the first line.
    /// </summary>
    private static async IAsyncEnumerable<List<(long Number, byte[] Bytes)>> ReadLinesAsync(Stream stream, [EnumeratorCancellation] CancellationToken ct)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 1 << 16, leaveOpen: true));
        long number = 0;
        var atStart = true;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(ct);
                var buffer = result.Buffer;
                if (atStart && (buffer.Length >= 3 || result.IsCompleted))
                {
                    atStart = false;
                    if (buffer.Length >= 3 && buffer.Slice(0, 3).ToArray().AsSpan().SequenceEqual((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
                        buffer = buffer.Slice(3);
                }
                else if (atStart)
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                    continue;
                }

                var batch = new List<(long, byte[])>();
                while (batch.Count < BatchRows && buffer.PositionOf((byte)'\n') is { } end)
                {
                    batch.Add((++number, TrimCr(buffer.Slice(0, end).ToArray())));
                    buffer = buffer.Slice(buffer.GetPosition(1, end));
                }

                if (result.IsCompleted && batch.Count < BatchRows && !buffer.IsEmpty)
                {
                    batch.Add((++number, TrimCr(buffer.ToArray())));
                    buffer = buffer.Slice(buffer.End);
                }

                reader.AdvanceTo(buffer.Start, batch.Count < BatchRows ? buffer.End : buffer.Start);
                if (batch.Count > 0)
                    yield return batch;
                if (result.IsCompleted && buffer.IsEmpty)
                    break;
            }
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private static byte[] TrimCr(byte[] line) => line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;
}

/// <summary>RFC 4180 fields of one record: quoted fields may hold the delimiter, line breaks and doubled quotes.</summary>
public static class CsvFields
{
    /// <summary>The fields' texts, or null when a quoted field is malformed (text after its closing quote, or not closed).</summary>
    public static List<string>? Split(ReadOnlySpan<byte> record, byte delimiter)
    {
        var fields = new List<string>();
        var i = 0;
        while (true)
        {
            if (i < record.Length && record[i] == (byte)'"')
            {
                var text = new List<byte>();
                i++;
                while (true)
                {
                    if (i >= record.Length)
                        return null;
                    if (record[i] == (byte)'"')
                    {
                        if (i + 1 < record.Length && record[i + 1] == (byte)'"')
                        {
                            text.Add((byte)'"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    text.Add(record[i++]);
                }

                fields.Add(Encoding.UTF8.GetString(text.ToArray()));
                if (i == record.Length)
                    return fields;
                if (record[i] != delimiter)
                    return null;
                i++;
            }
            else
            {
                var next = record[i..].IndexOf(delimiter);
                if (next < 0)
                {
                    fields.Add(Encoding.UTF8.GetString(record[i..]));
                    return fields;
                }

                fields.Add(Encoding.UTF8.GetString(record.Slice(i, next)));
                i += next + 1;
            }
        }
    }
}
