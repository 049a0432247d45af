using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Portal.Client;

namespace Portal.Core.Features.Evaluations;

/// <summary>One example's result; <see cref="Scores"/> is indexed like the evaluation's scorers, NaN where not scored.</summary>
public sealed record EvaluationExample(string Id, double[] Scores, double? LatencyMs, long? Tokens, string? Output, long Line);

/// <summary>
/// The NDJSON of evaluation rows, both as logged and as stored. A row is
/// <c>{"id":"q-17","scores":{"recall@5":1},"latencyMs":120,"tokens":380,"output":"…"}</c> (only <c>id</c> and
/// <c>scores</c> required; unknown fields are ignored so newer clients can send more). The stored form is canonical: one
/// row per line in ordinal order of <c>id</c>, fields in that order, scorers in the header's order, so equal results are
/// equal bytes and comparing two evaluations is a merge of two sorted streams.
/// </summary>
public static class EvaluationRowsFile
{
    public const int MaxLineBytes = 1024 * 1024;
    public const int MaxIdLength = 512;
    public const int MaxOutputChars = 64 * 1024;

    private const int ReadBufferSize = 64 * 1024;

    /// <summary>
    /// Calls <paramref name="onLine"/> for every non-blank line with its 1-based number; the bytes are only valid
    /// during the call. A UTF-8 byte-order mark, CR of CRLF and surrounding blanks are dropped.
    /// </summary>
    public static async Task ReadLinesAsync(Stream stream, Action<ReadOnlySequence<byte>, long> onLine, CancellationToken ct)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: ReadBufferSize, leaveOpen: true));
        try
        {
            long number = 0;
            while (true)
            {
                var result = await reader.ReadAsync(ct);
                var buffer = result.Buffer;
                while (buffer.PositionOf((byte)'\n') is { } newline)
                {
                    number++;
                    Handle(buffer.Slice(0, newline), number);
                    buffer = buffer.Slice(buffer.GetPosition(1, newline));
                }
                if (result.IsCompleted)
                {
                    if (!buffer.IsEmpty)
                        Handle(buffer, ++number);
                    reader.AdvanceTo(buffer.End);
                    break;
                }
                if (buffer.Length > MaxLineBytes)
                    throw Malformed(number + 1, $"the line is longer than {MaxLineBytes:N0} bytes");
                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        finally
        {
            await reader.CompleteAsync();
        }

        void Handle(ReadOnlySequence<byte> line, long number)
        {
            line = Trim(line, number == 1);
            if (!line.IsEmpty)
                onLine(line, number);
        }
    }

    /// <summary>Parses one row; scorer names not in <paramref name="scorerIndex"/> are refused, naming the line.</summary>
    public static EvaluationExample ParseRow(ReadOnlySequence<byte> line, long number, IReadOnlyDictionary<string, int> scorerIndex)
    {
        string? id = null;
        double[]? scores = null;
        double? latency = null;
        long? tokens = null;
        string? output = null;
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw Malformed(number, "a row must be a JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    id = reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw Malformed(number, "field \"id\" must be a string");
                }
                else if (reader.ValueTextEquals("scores"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartObject)
                        throw Malformed(number, "field \"scores\" must be an object of scorer names and numbers");
                    scores = new double[scorerIndex.Count];
                    Array.Fill(scores, double.NaN);
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var scorer = reader.GetString()!;
                        if (!scorerIndex.TryGetValue(scorer, out var index))
                            throw Malformed(number, $"scorer \"{scorer}\" is not in the header's scorers ({string.Join(", ", scorerIndex.Keys)})");
                        reader.Read();
                        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var value) || !double.IsFinite(value))
                            throw Malformed(number, $"the score of \"{scorer}\" must be a finite number");
                        if (!double.IsNaN(scores[index]))
                            throw Malformed(number, $"scorer \"{scorer}\" appears twice");
                        scores[index] = value;
                    }
                }
                else if (reader.ValueTextEquals("latencyMs"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Null)
                        continue;
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var value) || !double.IsFinite(value) || value < 0)
                        throw Malformed(number, "field \"latencyMs\" must be a number of milliseconds, 0 or more");
                    latency = value;
                }
                else if (reader.ValueTextEquals("tokens"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Null)
                        continue;
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value) || value < 0)
                        throw Malformed(number, "field \"tokens\" must be a whole number, 0 or more");
                    tokens = value;
                }
                else if (reader.ValueTextEquals("output"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Null)
                        continue;
                    output = reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw Malformed(number, "field \"output\" must be a string");
                    if (output.Length > MaxOutputChars)
                        throw Malformed(number, $"field \"output\" is longer than {MaxOutputChars:N0} characters");
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            if (reader.Read())
                throw Malformed(number, "unexpected content after the JSON object");
        }
        catch (JsonException ex)
        {
            throw Malformed(number, $"not valid JSON (at byte {ex.BytePositionInLine ?? 0})");
        }
        catch (InvalidOperationException)
        {
            throw Malformed(number, "a string is not valid UTF-8 or contains an unpaired surrogate escape");
        }
        if (string.IsNullOrEmpty(id))
            throw Malformed(number, "field \"id\" is missing or empty");
        if (id.Length > MaxIdLength)
            throw Malformed(number, $"field \"id\" is longer than {MaxIdLength} characters");
        if (id.Any(char.IsControl))
            throw Malformed(number, "field \"id\" contains a control character");
        if (scores is null)
            throw Malformed(number, $"field \"scores\" is missing for example \"{id}\"");
        return new EvaluationExample(id, scores, latency, tokens, output, number);
    }

    /// <summary>Writes the rows (already sorted by id) in canonical form; returns the SHA-256 and size of what was written.</summary>
    public static (string Digest, long Size) Write(Stream destination, IReadOnlyList<EvaluationExample> rows, IReadOnlyList<string> scorers)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        var names = scorers.Select(s => JsonEncodedText.Encode(s, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping)).ToArray();
        long size = 0;
        foreach (var row in rows)
        {
            writer.WriteStartObject();
            writer.WriteString("id"u8, row.Id);
            writer.WriteStartObject("scores"u8);
            for (var i = 0; i < names.Length; i++)
            {
                if (!double.IsNaN(row.Scores[i]))
                    writer.WriteNumber(names[i], row.Scores[i]);
            }
            writer.WriteEndObject();
            if (row.LatencyMs is { } latency)
                writer.WriteNumber("latencyMs"u8, latency);
            if (row.Tokens is { } tokens)
                writer.WriteNumber("tokens"u8, tokens);
            if (row.Output is { } output)
                writer.WriteString("output"u8, output);
            writer.WriteEndObject();
            writer.Flush();
            writer.Reset();
            buffer.Write("\n"u8);
            if (buffer.WrittenCount >= 48 * 1024)
                size += Drain();
        }
        size += Drain();
        destination.Flush();
        return (Convert.ToHexStringLower(hash.GetHashAndReset()), size);

        long Drain()
        {
            var span = buffer.WrittenSpan;
            hash.AppendData(span);
            destination.Write(span);
            var written = span.Length;
            buffer.ResetWrittenCount();
            return written;
        }
    }

    /// <summary>Reads stored rows back (they are in id order).</summary>
    public static async Task<List<EvaluationExample>> ReadStoredAsync(Stream stream, IReadOnlyList<string> scorers, CancellationToken ct)
    {
        var index = Index(scorers);
        var rows = new List<EvaluationExample>();
        await ReadLinesAsync(stream, (line, number) => rows.Add(ParseRow(line, number, index)), ct);
        return rows;
    }

    public static Dictionary<string, int> Index(IReadOnlyList<string> scorers)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < scorers.Count; i++)
            index[scorers[i]] = i;
        return index;
    }

    internal static PortalException Malformed(long number, string problem) =>
        PortalException.BadRequest(ErrorCodes.EvaluationMalformed, $"Evaluation line {number.ToString(CultureInfo.InvariantCulture)}: {problem}.",
            new Dictionary<string, object?> { ["line"] = number });

    private static ReadOnlySequence<byte> Trim(ReadOnlySequence<byte> line, bool first)
    {
        var reader = new SequenceReader<byte>(line);
        if (first)
            reader.IsNext([0xEF, 0xBB, 0xBF], advancePast: true);
        reader.AdvancePastAny((byte)' ', (byte)'\t', (byte)'\r');
        line = line.Slice(reader.Position);
        var length = line.Length;
        while (length > 0 && line.Slice(length - 1, 1).FirstSpan[0] is (byte)' ' or (byte)'\t' or (byte)'\r')
            length--;
        return line.Slice(0, length);
    }

    internal static string Text(ReadOnlySequence<byte> line) => Encoding.UTF8.GetString(line);
}
