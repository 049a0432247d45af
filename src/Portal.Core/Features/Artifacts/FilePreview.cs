using System.Globalization;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Portal.Core.Storage;

namespace Portal.Core.Features.Artifacts;

public static class PreviewKind
{
    public const string Text = "text";
    public const string Json = "json";
    public const string JsonLines = "jsonl";
    public const string Csv = "csv";
    public const string Tsv = "tsv";
    public const string Parquet = "parquet";
    public const string Image = "image";
    public const string Binary = "binary";
    public const string Reference = "reference";
}

/// <summary>A column of a previewed table: its name and what its previewed values look like.</summary>
public sealed record PreviewColumn(string Name, string Type, int Empty);

/// <summary>
/// The head of one file, ready to show as text (<see cref="Text"/>) or as a table (<see cref="Columns"/>,
/// <see cref="Rows"/>). <see cref="Truncated"/> says the file goes on past what was read.
/// </summary>
public sealed record FilePreviewResponse(
    string Path,
    string Kind,
    long Size,
    string Digest,
    bool Truncated,
    string? Text,
    IReadOnlyList<PreviewColumn> Columns,
    IReadOnlyList<IReadOnlyList<string>> Rows,
    int Records,
    string? Message)
{
    /// <summary>Statistics per column (tables, Parquet, JSON Lines objects), over <see cref="StatsRows"/> rows.</summary>
    public IReadOnlyList<ColumnStats> Stats { get; init; } = [];

    /// <summary>How many rows the statistics cover.</summary>
    public int StatsRows { get; init; }

    /// <summary>True when the statistics cover every row of the file, false when only its head.</summary>
    public bool StatsWholeFile { get; init; }

    /// <summary>Rows in the whole file when the format says (Parquet's footer); null when only the head was read.</summary>
    public long? TotalRows { get; init; }
}

/// <summary>
/// Previews a file of a committed version from its first <see cref="MaxBytes"/> bytes, so a 50 GB file previews as
/// fast as a small one. The result is data for the page to encode; nothing here is ever HTML.
/// </summary>
public sealed class FilePreview(VersionContent content, IBlobStore blobs)
{
    public const int MaxBytes = 256 * 1024;
    public const int MaxRows = 200;
    public const int MaxJsonRecords = 50;

    /// <summary>Rows of the head that statistics cover at most.</summary>
    public const int MaxStatsRows = 100_000;

    /// <summary>Images larger than this are not shown inline; they download.</summary>
    public const long MaxImageBytes = 20L * 1024 * 1024;

    /// <summary>JSON Lines objects: at most this many top-level keys become columns of the statistics.</summary>
    public const int MaxJsonColumns = 50;

    private static readonly HashSet<string> TextExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".txt", ".md", ".markdown", ".rst", ".log", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".env", ".xml",
        ".html", ".htm", ".css", ".js", ".ts", ".py", ".ipynb", ".r", ".sql", ".sh", ".bash", ".cs", ".java", ".go",
        ".rs", ".c", ".h", ".cpp", ".hpp", ".rb", ".php", ".scala", ".kt", ".swift", ".proto", ".gitignore", ".dockerfile",
    };

    /// <summary>How a path is previewed, by its extension; unknown extensions are sniffed once the bytes are read.</summary>
    public static string? KindFor(string path)
    {
        var extension = System.IO.Path.GetExtension(path);
        return extension.ToLowerInvariant() switch
        {
            ".csv" => PreviewKind.Csv,
            ".tsv" or ".tab" => PreviewKind.Tsv,
            ".json" => PreviewKind.Json,
            ".jsonl" or ".ndjson" => PreviewKind.JsonLines,
            _ when TextExtensions.Contains(extension) => PreviewKind.Text,
            ".parquet" => PreviewKind.Parquet,
            _ when ImageContentType(path) is not null => PreviewKind.Image,
            ".bin" or ".pt" or ".pth" or ".onnx" or ".safetensors" or ".gz" or ".zip" or ".tar" or ".npy" or ".npz" or ".pdf" or ".bmp" or ".ico" or ".tif" or ".tiff" => PreviewKind.Binary,
            _ => null,
        };
    }

    /// <summary>False for files known by their extension not to be text (binaries, images, Parquet); unknown ones are sniffed when read.</summary>
    public static bool MayBeText(string path) => KindFor(path) is not (PreviewKind.Binary or PreviewKind.Image or PreviewKind.Parquet);

    /// <summary>
    /// The content type a file is shown inline with as an image, by extension; null when it is not one. SVG is only
    /// ever an <c>&lt;img&gt;</c> source (scripts in it do not run there), never inlined into the page.
    /// </summary>
    public static string? ImageContentType(string path) => System.IO.Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".png" => "image/png",
        ".jpg" or ".jpeg" => "image/jpeg",
        ".gif" => "image/gif",
        ".webp" => "image/webp",
        ".svg" => "image/svg+xml",
        _ => null,
    };

    public async Task<FilePreviewResponse> GetAsync(ClaimsPrincipal user, string slug, Guid versionId, string path, CancellationToken ct = default)
    {
        var entry = await content.GetEntryAsync(user, slug, versionId, path, ct);
        if (entry.Ref is not null)
            return Empty(entry.Path, PreviewKind.Reference, entry.Size, entry.Digest, $"This file is a reference to {entry.Ref}; its bytes are not stored in Portal.");
        var kind = KindFor(entry.Path);
        if (kind == PreviewKind.Binary)
            return Empty(entry.Path, kind, entry.Size, entry.Digest, "No preview for this kind of file. Download it to open it.");
        if (kind == PreviewKind.Image)
        {
            return entry.Size > MaxImageBytes
                ? Empty(entry.Path, PreviewKind.Binary, entry.Size, entry.Digest, $"This image is larger than {MaxImageBytes / 1024 / 1024} MB; download it to open it.")
                : Empty(entry.Path, kind, entry.Size, entry.Digest, null);
        }

        if (kind == PreviewKind.Parquet)
        {
            await using var stream = await blobs.OpenReadAsync(entry.Digest, verify: false, ct);
            return await ParquetPreview.BuildAsync(entry.Path, entry.Size, entry.Digest, stream, ct);
        }

        var head = await ReadHeadAsync(blobs, entry.Digest, entry.Size, MaxBytes, ct);
        return Build(entry.Path, kind, entry.Size, entry.Digest, head);
    }

    /// <summary>The first <paramref name="maxBytes"/> bytes of a stored blob (all of it when smaller).</summary>
    internal static async Task<byte[]> ReadHeadAsync(IBlobStore blobs, string digest, long size, int maxBytes, CancellationToken ct)
    {
        await using var stream = await blobs.OpenReadAsync(digest, verify: false, ct);
        var head = new byte[(int)Math.Min(size, maxBytes)];
        var read = 0;
        while (read < head.Length)
        {
            var n = await stream.ReadAsync(head.AsMemory(read), ct);
            if (n == 0)
                break;
            read += n;
        }

        if (read < head.Length)
            Array.Resize(ref head, read);
        return head;
    }

    /// <summary>The preview of <paramref name="head"/>, the first bytes of a file of <paramref name="size"/> bytes.</summary>
    public static FilePreviewResponse Build(string path, string? kind, long size, string digest, ReadOnlySpan<byte> head)
    {
        var truncated = size > head.Length;
        if (head.IndexOf((byte)0) >= 0)
            return Empty(path, PreviewKind.Binary, size, digest, "This file looks binary. Download it to open it.");
        var text = DecodeHead(head, truncated);
        kind ??= PreviewKind.Text;
        return kind switch
        {
            PreviewKind.Csv => Table(path, kind, size, digest, text, ',', truncated),
            PreviewKind.Tsv => Table(path, kind, size, digest, text, '\t', truncated),
            PreviewKind.Json => Json(path, size, digest, text, truncated),
            PreviewKind.JsonLines => JsonLines(path, size, digest, text, truncated),
            _ => new FilePreviewResponse(path, PreviewKind.Text, size, digest, truncated, text, [], [], 0, null),
        };
    }

    internal static string DecodeHead(ReadOnlySpan<byte> head, bool truncated)
    {
        // A cut can land inside a multi-byte character; drop the partial one rather than show a replacement mark.
        var length = head.Length;
        if (truncated)
        {
            var back = 0;
            while (back < 3 && length - back - 1 >= 0 && (head[length - back - 1] & 0xC0) == 0x80)
                back++;
            if (length - back - 1 >= 0 && head[length - back - 1] >= 0xC0)
                length -= back + 1;
        }

        var text = Encoding.UTF8.GetString(head[..length]);
        return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
    }

    private static FilePreviewResponse Json(string path, long size, string digest, string text, bool truncated)
    {
        if (!truncated)
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                var pretty = JsonSerializer.Serialize(document.RootElement, Indented);
                return new FilePreviewResponse(path, PreviewKind.Json, size, digest, false, pretty, [], [], 1, null);
            }
            catch (JsonException ex)
            {
                return new FilePreviewResponse(path, PreviewKind.Text, size, digest, false, text, [], [], 0, $"Not valid JSON: {ex.Message}");
            }
        }

        return new FilePreviewResponse(path, PreviewKind.Text, size, digest, true, text, [], [], 0,
            $"Shown as text: the file is larger than the {MaxBytes / 1024} KB preview, so it cannot be formatted whole.");
    }

    private static FilePreviewResponse JsonLines(string path, long size, string digest, string text, bool truncated)
    {
        var lines = CompleteLines(text, truncated);
        var (stats, statsRows) = JsonLinesStats(lines);
        var wholeFile = !truncated && statsRows < MaxStatsRows;
        var builder = new StringBuilder();
        var records = 0;
        foreach (var line in lines)
        {
            if (string.IsNullOrWhiteSpace(line))
                continue;
            if (records == MaxJsonRecords)
            {
                truncated = true;
                break;
            }

            if (records > 0)
                builder.Append('\n');
            try
            {
                using var document = JsonDocument.Parse(line);
                builder.Append(JsonSerializer.Serialize(document.RootElement, Indented));
            }
            catch (JsonException)
            {
                builder.Append(line);
            }

            builder.Append('\n');
            records++;
        }

        return new FilePreviewResponse(path, PreviewKind.JsonLines, size, digest, truncated, builder.ToString(), [], [], records,
            truncated ? $"First {records} records." : null)
        {
            Stats = stats,
            StatsRows = statsRows,
            StatsWholeFile = wholeFile,
        };
    }

    /// <summary>Statistics of the top-level fields of the JSON objects among <paramref name="lines"/> (missing fields count as empty).</summary>
    private static (List<ColumnStats> Stats, int Rows) JsonLinesStats(List<string> lines)
    {
        var columns = new List<string>();
        var values = new Dictionary<string, List<string?>>(StringComparer.Ordinal);
        var rows = 0;
        foreach (var line in lines)
        {
            if (string.IsNullOrWhiteSpace(line))
                continue;
            if (rows == MaxStatsRows)
                break;
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(line);
            }
            catch (JsonException)
            {
                continue;
            }

            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                    continue;
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    if (!values.TryGetValue(property.Name, out var column))
                    {
                        if (columns.Count == MaxJsonColumns)
                            continue;
                        columns.Add(property.Name);
                        column = [.. Enumerable.Repeat<string?>(null, rows)];
                        values[property.Name] = column;
                    }

                    if (column.Count == rows)
                        column.Add(JsonValueText(property.Value));
                }

                rows++;
                foreach (var column in values.Values.Where(c => c.Count < rows))
                    column.Add(null);
            }
        }

        return (columns.Select(name => ColumnStatistics.Compute(name, values[name])).ToList(), rows);
    }

    private static string? JsonValueText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.String => value.GetString(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => value.GetRawText(),
    };

    private static FilePreviewResponse Table(string path, string kind, long size, string digest, string text, char separator, bool truncated)
    {
        // The header and the rows of the head (statistics cover them all; the table shows the first page).
        var records = ParseDelimited(text, separator, truncated, MaxStatsRows + 1);
        if (records.Count == 0)
            return new FilePreviewResponse(path, kind, size, digest, truncated, "", [], [], 0, "The file is empty.");
        var header = records[0];
        var all = records.Skip(1).ToList();
        var wholeFile = !truncated && all.Count < MaxStatsRows;
        var rows = all.Take(MaxRows).ToList();
        if (all.Count > MaxRows)
            truncated = true;
        var width = Math.Max(header.Count, all.Count == 0 ? 0 : all.Max(r => r.Count));
        var names = Enumerable.Range(0, width).Select(i => i < header.Count && header[i].Length > 0 ? header[i] : $"column {i + 1}").ToList();
        var padded = rows.Select(r => (IReadOnlyList<string>)Enumerable.Range(0, width).Select(i => i < r.Count ? r[i] : "").ToList()).ToList();
        var stats = names.Select((name, i) => ColumnStatistics.Compute(name, all.Select(r => i < r.Count ? r[i] : null).ToList())).ToList();
        var columns = names.Select((name, i) => new PreviewColumn(name, stats[i].Type, padded.Count(r => r[i].Length == 0))).ToList();
        return new FilePreviewResponse(path, kind, size, digest, truncated, null, columns, padded, padded.Count,
            truncated ? $"First {padded.Count} rows." : null)
        {
            Stats = stats,
            StatsRows = all.Count,
            StatsWholeFile = wholeFile,
        };
    }

    /// <summary>RFC 4180 records (quoted fields may hold separators, quotes and newlines); a cut-off last record is dropped.</summary>
    public static List<List<string>> ParseDelimited(string text, char separator, bool truncated, int maxRecords)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        var i = 0;
        while (i < text.Length && records.Count < maxRecords)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        field.Append('"');
                        i++;
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"' && field.Length == 0)
            {
                quoted = true;
            }
            else if (c == separator)
            {
                record.Add(field.ToString());
                field.Clear();
            }
            else if (c is '\n' or '\r')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                    i++;
                record.Add(field.ToString());
                field.Clear();
                records.Add(record);
                record = [];
            }
            else
            {
                field.Append(c);
            }

            i++;
        }

        if (!truncated && records.Count < maxRecords && (field.Length > 0 || record.Count > 0))
        {
            record.Add(field.ToString());
            records.Add(record);
        }

        return records;
    }

    private static List<string> CompleteLines(string text, bool truncated)
    {
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        if (truncated && lines.Count > 0)
            lines.RemoveAt(lines.Count - 1);
        return lines;
    }

    private static FilePreviewResponse Empty(string path, string kind, long size, string digest, string? message) =>
        new(path, kind, size, digest, false, null, [], [], 0, message);

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
}
