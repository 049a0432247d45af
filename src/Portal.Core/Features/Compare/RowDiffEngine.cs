using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using Portal.Client.Models;
using Portal.Core.Features.Validation;

namespace Portal.Core.Features.Compare;

public static class RowChangeKind
{
    public const string Added = "added";
    public const string Removed = "removed";
    public const string Modified = "modified";
}

/// <summary>
/// Row-level diff of two CSV/JSONL files, streamed: one pass over each file keeps only 64-bit hashes per row (keyed by
/// <c>keyColumn</c> when the rows have one, else by content), then a second pass fetches the few sample rows shown.
/// Two 1,000,000-row files take about 50 MB and a few seconds; the row bytes are never all in memory.
/// </summary>
public sealed class RowDiffEngine(Func<CancellationToken, Task<Stream>> openOld, Func<CancellationToken, Task<Stream>> openNew, string oldPath, string newPath)
{
    public static readonly string[] KeyColumnNames = ["id", "_id", "uuid", "key", "guid", "pk", "ID", "Id"];

    public int SampleLimit { get; init; } = 50;

    /// <summary>Profiles of the two files (text lengths and labels), gathered on the way for the drift table.</summary>
    public DataProfile OldProfile { get; } = new();

    public DataProfile NewProfile { get; } = new();

    public async Task<(FileRowDiff Diff, IReadOnlyList<string> Columns)> RunAsync(string? keyColumn, CancellationToken ct)
    {
        var format = FileFormats.Of(newPath);
        var oldSide = new Side(format, keyColumn, OldProfile);
        await ReadAsync(openOld, oldPath, oldSide, ct);
        // The key the old file settled on (given or detected) keys the new file too.
        var newSide = new Side(format, oldSide.Key ?? keyColumn, NewProfile) { ForceContent = oldSide.Key is null && keyColumn is null };
        await ReadAsync(openNew, newPath, newSide, ct);
        var key = oldSide.Key is not null && newSide.Key is not null ? oldSide.Key : null;
        if (key is null && (oldSide.Key is not null || newSide.Key is not null))
        {
            // Only one side has the key column: compare by content instead.
            oldSide = new Side(format, null, new DataProfile()) { ForceContent = true };
            newSide = new Side(format, null, new DataProfile()) { ForceContent = true };
            await ReadAsync(openOld, oldPath, oldSide, ct);
            await ReadAsync(openNew, newPath, newSide, ct);
        }

        long added = 0, removed = 0, modified = 0, unchanged = 0;
        var wanted = new List<(string Kind, ulong Key, long OldLine, long NewLine)>();
        foreach (var (k, n) in newSide.Rows)
        {
            if (!oldSide.Rows.TryGetValue(k, out var o))
            {
                added += n.Count;
                wanted.Add((RowChangeKind.Added, k, 0, n.FirstLine));
            }
            else if (key is null)
            {
                unchanged += Math.Min(o.Count, n.Count);
                if (n.Count > o.Count)
                {
                    added += n.Count - o.Count;
                    wanted.Add((RowChangeKind.Added, k, 0, n.FirstLine));
                }
            }
            else if (o.Sum != n.Sum || o.Count != n.Count)
            {
                modified++;
                wanted.Add((RowChangeKind.Modified, k, o.FirstLine, n.FirstLine));
            }
            else
            {
                unchanged += n.Count;
            }
        }

        foreach (var (k, o) in oldSide.Rows)
        {
            if (!newSide.Rows.TryGetValue(k, out var n))
            {
                removed += o.Count;
                wanted.Add((RowChangeKind.Removed, k, o.FirstLine, 0));
            }
            else if (key is null && o.Count > n.Count)
            {
                removed += o.Count - n.Count;
                wanted.Add((RowChangeKind.Removed, k, o.FirstLine, 0));
            }
        }

        var samples = wanted.OrderBy(w => w.NewLine == 0 ? w.OldLine : w.NewLine).ThenBy(w => w.Kind, StringComparer.Ordinal).Take(SampleLimit).ToList();
        var oldLines = await FetchLinesAsync(openOld, oldPath, format, samples.Where(s => s.OldLine > 0).Select(s => s.OldLine).ToHashSet(), ct);
        var newLines = await FetchLinesAsync(openNew, newPath, format, samples.Where(s => s.NewLine > 0).Select(s => s.NewLine).ToHashSet(), ct);
        var columns = newSide.Columns.Count > 0 ? newSide.Columns : oldSide.Columns;
        var changes = samples.Select(s =>
        {
            var before = s.OldLine > 0 ? oldLines.GetValueOrDefault(s.OldLine) : null;
            var after = s.NewLine > 0 ? newLines.GetValueOrDefault(s.NewLine) : null;
            var changed = s.Kind == RowChangeKind.Modified && before is not null && after is not null ? ChangedFields(format, columns, before, after) : [];
            var keyValue = key is null ? null : KeyOf(format, columns, key, after ?? before);
            return new RowChange(s.Kind, keyValue, s.OldLine > 0 ? s.OldLine : null, s.NewLine > 0 ? s.NewLine : null, Clip(before), Clip(after), changed);
        }).ToList();

        var diff = new FileRowDiff(newPath, oldPath == newPath ? null : oldPath, FileFormats.Name(format), key, oldSide.RowCount, newSide.RowCount,
            added, removed, modified, unchanged, changes, wanted.Count > samples.Count);
        return (diff, columns);
    }

    private static string? Clip(string? row) => row is null || row.Length <= 2000 ? row : row[..2000] + "…";

    private static async Task ReadAsync(Func<CancellationToken, Task<Stream>> open, string path, Side side, CancellationToken ct)
    {
        await using var raw = await open(ct);
        await using var stream = LineReader.Decode(raw, path);
        await LineReader.ReadAsync(stream, side, null, ct);
        side.Finish();
    }

    private static async Task<Dictionary<long, string>> FetchLinesAsync(Func<CancellationToken, Task<Stream>> open, string path, FileFormat format, HashSet<long> lines, CancellationToken ct)
    {
        var found = new Dictionary<long, string>();
        if (lines.Count == 0)
            return found;
        await using var raw = await open(ct);
        await using var stream = LineReader.Decode(raw, path);
        var sink = new LinePicker(format, lines, found);
        await LineReader.ReadAsync(stream, sink, null, ct);
        return found;
    }

    private static string? KeyOf(FileFormat format, IReadOnlyList<string> columns, string key, string? row)
    {
        if (row is null)
            return null;
        var fields = new RowFields(format, [key]);
        if (format != FileFormat.Jsonl)
            fields.SetHeader(Encoding.UTF8.GetBytes(string.Join(format == FileFormat.Tsv ? "\t" : ",", columns)));
        var bytes = Encoding.UTF8.GetBytes(row);
        fields.Read(bytes);
        return fields.GetString(0, bytes);
    }

    /// <summary>The fields whose values differ between two versions of a row (top-level JSON properties or CSV columns).</summary>
    public static IReadOnlyList<string> ChangedFields(FileFormat format, IReadOnlyList<string> columns, string before, string after)
    {
        if (format == FileFormat.Jsonl)
        {
            try
            {
                using var a = JsonDocument.Parse(before);
                using var b = JsonDocument.Parse(after);
                if (a.RootElement.ValueKind != JsonValueKind.Object || b.RootElement.ValueKind != JsonValueKind.Object)
                    return [];
                var left = a.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText(), StringComparer.Ordinal);
                var right = b.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText(), StringComparer.Ordinal);
                return left.Keys.Union(right.Keys, StringComparer.Ordinal)
                    .Where(k => !left.TryGetValue(k, out var l) || !right.TryGetValue(k, out var r) || !JsonElementEquals(l, r))
                    .ToList();
            }
            catch (JsonException)
            {
                return [];
            }
        }

        var reader = new RowFields(format, columns);
        reader.SetHeader(Encoding.UTF8.GetBytes(string.Join(format == FileFormat.Tsv ? "\t" : ",", columns.Select(c => "\"" + c.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""))));
        var beforeBytes = Encoding.UTF8.GetBytes(before);
        reader.Read(beforeBytes);
        var oldValues = columns.Select((_, i) => reader.GetString(i, beforeBytes)).ToList();
        var afterBytes = Encoding.UTF8.GetBytes(after);
        reader.Read(afterBytes);
        return columns.Where((_, i) => reader.GetString(i, afterBytes) != oldValues[i]).ToList();
    }

    private static bool JsonElementEquals(string left, string right) => string.Equals(left, right, StringComparison.Ordinal);

    private struct RowAggregate
    {
        public ulong Sum;
        public int Count;
        public long FirstLine;
    }

    /// <summary>One file's rows as hashes: key → (sum of row hashes, count, first line).</summary>
    private sealed class Side(FileFormat format, string? keyColumn, DataProfile profile) : ILineSink
    {
        private readonly CsvRecords _csv = new();
        private RowFields? _fields;
        private int _keyIndex = -1;
        private int _textIndex = -1;
        private int _labelIndex = -1;

        public bool ForceContent { get; init; }

        public Dictionary<ulong, RowAggregate> Rows { get; } = [];

        public string? Key { get; private set; }

        public IReadOnlyList<string> Columns { get; private set; } = [];

        public long RowCount { get; private set; }

        public void OnLine(long lineNumber, ReadOnlySpan<byte> line, bool truncated)
        {
            if (format == FileFormat.Jsonl)
            {
                if (!line.Trim(" \t"u8).IsEmpty)
                    OnRow(lineNumber, line);
                return;
            }

            if (_csv.Add(lineNumber, line, out var first, out var record))
                OnRow(first, record);
        }

        public void Finish()
        {
            if (_csv.Pending(out var first, out var record))
                OnRow(first, record);
        }

        private void OnRow(long lineNumber, ReadOnlySpan<byte> row)
        {
            if (_fields is null)
            {
                var names = format == FileFormat.Jsonl ? RowFields.JsonPropertyNames(row) : RowFields.CsvColumns(format, row);
                Columns = names;
                Key = ForceContent ? null : keyColumn is not null ? (names.Contains(keyColumn) ? keyColumn : null) : KeyColumnNames.FirstOrDefault(names.Contains);
                var wanted = new List<string>();
                if (Key is not null)
                {
                    _keyIndex = wanted.Count;
                    wanted.Add(Key);
                }

                var text = VersionValidator.TextFieldNames.FirstOrDefault(names.Contains);
                if (text is not null)
                {
                    _textIndex = wanted.Count;
                    wanted.Add(text);
                    profile.TextField ??= text;
                }

                var label = VersionValidator.LabelFieldNames.FirstOrDefault(names.Contains);
                if (label is not null)
                {
                    _labelIndex = wanted.Count;
                    wanted.Add(label);
                    profile.LabelField ??= label;
                }

                _fields = new RowFields(format, wanted);
                if (format != FileFormat.Jsonl)
                {
                    _fields.SetHeader(row);
                    return;
                }
            }

            RowCount++;
            profile.Rows++;
            var trimmed = row.Trim(" \t"u8);
            var hash = XxHash3.HashToUInt64(trimmed);
            _fields.Read(row);
            ulong key;
            if (_keyIndex >= 0 && _fields.Kinds[_keyIndex] is not (FieldKind.Missing or FieldKind.Null))
                key = XxHash3.HashToUInt64(row.Slice(_fields.Starts[_keyIndex], _fields.Lengths[_keyIndex]), 0x5eed);
            else
                key = hash;
            if (_textIndex >= 0 && _fields.Kinds[_textIndex] == FieldKind.String)
                profile.AddText(_fields.Lengths[_textIndex]);
            if (_labelIndex >= 0 && _fields.Kinds[_labelIndex] is not (FieldKind.Missing or FieldKind.Null or FieldKind.Object))
                profile.AddLabel(_fields.GetString(_labelIndex, row) ?? "");

            ref var aggregate = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(Rows, key, out var exists);
            if (!exists)
                aggregate.FirstLine = lineNumber;
            aggregate.Sum += hash;
            aggregate.Count++;
        }
    }

    /// <summary>Collects the text of a few rows by their first line number.</summary>
    private sealed class LinePicker(FileFormat format, HashSet<long> lines, Dictionary<long, string> found) : ILineSink
    {
        private readonly CsvRecords _csv = new();

        public void OnLine(long lineNumber, ReadOnlySpan<byte> line, bool truncated)
        {
            if (format == FileFormat.Jsonl)
            {
                if (lines.Contains(lineNumber))
                    found[lineNumber] = Encoding.UTF8.GetString(line);
                return;
            }

            if (_csv.Add(lineNumber, line, out var first, out var record) && lines.Contains(first))
                found[first] = Encoding.UTF8.GetString(record);
        }
    }
}
