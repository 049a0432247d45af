using System.Text;
using System.Text.Json;

namespace Portal.Core.Features.Validation;

public enum FieldKind : byte
{
    Missing,
    Null,
    String,
    Number,
    Boolean,
    Object,
    Array,
}

/// <summary>
/// Picks a few named fields out of a JSONL object or a CSV record without building a document: each value is kept as a
/// slice of the row. One instance per file (CSV needs the header first); not thread-safe.
/// </summary>
public sealed class RowFields
{
    private static readonly JsonReaderOptions Options = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 256 };

    private readonly FileFormat _format;
    private readonly byte[][] _names;
    private int[] _columnOf = [];

    /// <summary>Cells a data row is split into: up to the last wanted column, so a very wide row costs no memory.</summary>
    private int _cellsNeeded;
    private readonly List<(int Start, int Length, bool Quoted)> _cells = [];

    public RowFields(FileFormat format, IReadOnlyList<string> names)
    {
        _format = format;
        Names = names;
        _names = names.Select(Encoding.UTF8.GetBytes).ToArray();
        Kinds = new FieldKind[names.Count];
        Starts = new int[names.Count];
        Lengths = new int[names.Count];
        Escaped = new bool[names.Count];
    }

    public IReadOnlyList<string> Names { get; }

    public FieldKind[] Kinds { get; }

    public int[] Starts { get; }

    public int[] Lengths { get; }

    /// <summary>The slice holds JSON escapes or doubled CSV quotes.</summary>
    public bool[] Escaped { get; }

    /// <summary>CSV/TSV columns from the header; empty for JSONL.</summary>
    public IReadOnlyList<string> Columns { get; private set; } = [];

    public bool NeedsHeader => _format is FileFormat.Csv or FileFormat.Tsv && _columnOf.Length == 0 && Columns.Count == 0;

    private byte Delimiter => _format == FileFormat.Tsv ? (byte)'\t' : (byte)',';

    public void SetHeader(ReadOnlySpan<byte> record)
    {
        SplitCells(record, int.MaxValue);
        var columns = new List<string>(_cells.Count);
        foreach (var (start, length, quoted) in _cells)
            columns.Add(CellString(record, start, length, quoted).Trim());
        if (columns.Count > 0 && columns[0].Length > 0 && columns[0][0] == '\uFEFF')
            columns[0] = columns[0][1..];
        Columns = columns;
        _columnOf = Names.Select(n => columns.IndexOf(n)).ToArray();
        _cellsNeeded = _columnOf.Length == 0 ? 0 : _columnOf.Max() + 1;
    }

    public static List<string> CsvColumns(FileFormat format, ReadOnlySpan<byte> header)
    {
        var fields = new RowFields(format, []);
        fields.SetHeader(header);
        return fields.Columns.ToList();
    }

    /// <summary>Reads the row; false when it is not a JSON object (JSONL) — the kinds are then all missing.</summary>
    public bool Read(ReadOnlySpan<byte> row)
    {
        Array.Fill(Kinds, FieldKind.Missing);
        return _format == FileFormat.Jsonl ? ReadJson(row) : ReadCsv(row);
    }

    private bool ReadJson(ReadOnlySpan<byte> row)
    {
        var reader = new Utf8JsonReader(row, Options);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return false;
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject)
                    return !reader.Read();
                var index = -1;
                for (var i = 0; i < _names.Length; i++)
                {
                    if (reader.ValueTextEquals(_names[i]))
                    {
                        index = i;
                        break;
                    }
                }

                reader.Read();
                var start = (int)reader.TokenStartIndex;
                var kind = reader.TokenType switch
                {
                    JsonTokenType.String => FieldKind.String,
                    JsonTokenType.Number => FieldKind.Number,
                    JsonTokenType.True or JsonTokenType.False => FieldKind.Boolean,
                    JsonTokenType.Null => FieldKind.Null,
                    JsonTokenType.StartObject => FieldKind.Object,
                    _ => FieldKind.Array,
                };
                if (kind is FieldKind.Object or FieldKind.Array)
                    reader.Skip();
                if (index < 0)
                    continue;
                Kinds[index] = kind;
                if (kind == FieldKind.String)
                {
                    Starts[index] = start + 1;
                    Lengths[index] = reader.ValueSpan.Length;
                    Escaped[index] = reader.ValueIsEscaped;
                }
                else
                {
                    Starts[index] = start;
                    Lengths[index] = (int)reader.BytesConsumed - start;
                    Escaped[index] = false;
                }
            }

            return false;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Not JSON, or a string the reader cannot transcode (invalid UTF-8, a lone surrogate escape).
            Array.Fill(Kinds, FieldKind.Missing);
            return false;
        }
    }

    private bool ReadCsv(ReadOnlySpan<byte> row)
    {
        SplitCells(row, _cellsNeeded);
        for (var i = 0; i < _columnOf.Length; i++)
        {
            var column = _columnOf[i];
            if (column < 0 || column >= _cells.Count)
                continue;
            var (start, length, quoted) = _cells[column];
            Starts[i] = start;
            Lengths[i] = length;
            Escaped[i] = quoted;
            Kinds[i] = length == 0 ? FieldKind.Null : quoted ? FieldKind.String : CsvKind(row.Slice(start, length));
        }

        return true;
    }

    /// <summary>The number of cells in the last CSV row read.</summary>
    public int CellCount => _cells.Count;

    private static FieldKind CsvKind(ReadOnlySpan<byte> cell)
    {
        if (cell.SequenceEqual("true"u8) || cell.SequenceEqual("false"u8))
            return FieldKind.Boolean;
        return System.Buffers.Text.Utf8Parser.TryParse(cell, out double _, out var consumed) && consumed == cell.Length ? FieldKind.Number : FieldKind.String;
    }

    private void SplitCells(ReadOnlySpan<byte> record, int maxCells)
    {
        _cells.Clear();
        var delimiter = Delimiter;
        var i = 0;
        while (_cells.Count < maxCells)
        {
            if (i < record.Length && record[i] == (byte)'"')
            {
                var start = i + 1;
                var j = start;
                while (j < record.Length)
                {
                    if (record[j] == (byte)'"')
                    {
                        if (j + 1 < record.Length && record[j + 1] == (byte)'"')
                        {
                            j += 2;
                            continue;
                        }

                        break;
                    }

                    j++;
                }

                _cells.Add((start, Math.Min(j, record.Length) - start, true));
                var next = record[Math.Min(j, record.Length)..].IndexOf(delimiter);
                if (next < 0)
                    return;
                i = Math.Min(j, record.Length) + next + 1;
            }
            else
            {
                var next = record[i..].IndexOf(delimiter);
                if (next < 0)
                {
                    _cells.Add((i, record.Length - i, false));
                    return;
                }

                _cells.Add((i, next, false));
                i += next + 1;
            }
        }
    }

    /// <summary>The value of field <paramref name="index"/> as text (strings unescaped, other values as written).</summary>
    public string? GetString(int index, ReadOnlySpan<byte> row)
    {
        if (Kinds[index] is FieldKind.Missing or FieldKind.Null)
            return null;
        var slice = row.Slice(Starts[index], Lengths[index]);
        if (_format != FileFormat.Jsonl)
            return CellString(row, Starts[index], Lengths[index], Escaped[index]);
        if (Kinds[index] != FieldKind.String || !Escaped[index])
            return Encoding.UTF8.GetString(slice);
        // Re-read the quoted token to unescape it; what cannot be unescaped (a lone surrogate escape, invalid UTF-8) is read as written.
        var quoted = row.Slice(Starts[index] - 1, Lengths[index] + 2);
        try
        {
            var reader = new Utf8JsonReader(quoted);
            reader.Read();
            return reader.GetString();
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return Encoding.UTF8.GetString(slice);
        }
    }

    private static string CellString(ReadOnlySpan<byte> record, int start, int length, bool quoted)
    {
        var text = Encoding.UTF8.GetString(record.Slice(start, length));
        return quoted ? text.Replace("\"\"", "\"", StringComparison.Ordinal) : text;
    }

    public static string KindName(FieldKind kind) => kind switch
    {
        FieldKind.String => "string",
        FieldKind.Number => "number",
        FieldKind.Boolean => "boolean",
        FieldKind.Object => "object",
        FieldKind.Array => "array",
        FieldKind.Null => "null",
        _ => "missing",
    };

    /// <summary>Whether a value of <paramref name="kind"/> satisfies a required type (<c>integer</c> is a number without fraction or exponent).</summary>
    public bool Satisfies(int index, ReadOnlySpan<byte> row, string type)
    {
        var kind = Kinds[index];
        return type switch
        {
            "any" => kind is not (FieldKind.Missing or FieldKind.Null),
            "string" => kind == FieldKind.String,
            "number" => kind == FieldKind.Number,
            "integer" => kind == FieldKind.Number && row.Slice(Starts[index], Lengths[index]).IndexOfAny("eE."u8) < 0,
            "boolean" => kind == FieldKind.Boolean,
            "object" => kind == FieldKind.Object,
            "array" => kind == FieldKind.Array,
            _ => kind is not (FieldKind.Missing or FieldKind.Null),
        };
    }

    /// <summary>Every top-level property name of a JSON object row, in order (to choose fields from the first row).</summary>
    public static List<string> JsonPropertyNames(ReadOnlySpan<byte> row)
    {
        var names = new List<string>();
        var reader = new Utf8JsonReader(row, Options);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return names;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                names.Add(PropertyName(ref reader));
                reader.Read();
                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // A broken first row names no fields; the schema check reports it.
        }

        return names;
    }

    /// <summary>The current property name; one the reader cannot transcode is decoded as written (invalid bytes as U+FFFD).</summary>
    private static string PropertyName(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped)
        {
            try
            {
                return reader.GetString()!;
            }
            catch (InvalidOperationException)
            {
                // A lone surrogate escape or invalid UTF-8 among the escapes.
            }
        }

        return Encoding.UTF8.GetString(reader.ValueSpan);
    }
}
