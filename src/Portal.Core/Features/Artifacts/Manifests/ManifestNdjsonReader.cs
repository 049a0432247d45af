using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Portal.Client;

namespace Portal.Core.Features.Artifacts.Manifests;

/// <summary>
/// Reads a manifest sent as NDJSON, one entry per line:
/// <c>{"path":"a/b.txt","digest":"&lt;64 hex&gt;","size":12,"ref":"s3://…","extra":{…}}</c> (<c>ref</c> and
/// <c>extra</c> optional, unknown fields ignored so that newer clients can send more). Gzip is detected by its magic
/// bytes and decompressed on the fly. The body is streamed line by line, never held whole in memory.
/// </summary>
/// <remarks>
/// Every error names the 1-based line number (in the message and as extension <c>line</c>): 400
/// <c>manifest_malformed</c> for JSON and field problems, or the entry's own code (<c>path_invalid</c>,
/// <c>digest_invalid</c>, <c>size_invalid</c>, <c>ref_invalid</c>).
/// </remarks>
public static class ManifestNdjsonReader
{
    /// <summary>Longest accepted line. Paths are at most 1 KiB and refs 2 KiB; the rest is room for <c>extra</c>.</summary>
    public const int MaxLineBytes = 1024 * 1024;

    private const int ReadBufferSize = 64 * 1024;

    public static IAsyncEnumerable<ManifestEntry> ReadAsync(Stream stream, CancellationToken cancellationToken = default) =>
        ReadAsync(stream, ManifestReadLimits.Default, cancellationToken);

    /// <summary>Reads within <paramref name="limits"/>: inflation of a gzip body and blank lines are bounded.</summary>
    public static async IAsyncEnumerable<ManifestEntry> ReadAsync(
        Stream stream, ManifestReadLimits limits, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var raw = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: ReadBufferSize, leaveOpen: true));
        PipeReader? decompressed = null;
        try
        {
            var input = raw;
            if (await IsGzipAsync(raw, cancellationToken))
            {
                var gzip = new TruncationCheckingGzipStream(raw.AsStream(leaveOpen: true), limits);
                decompressed = PipeReader.Create(gzip, new StreamPipeReaderOptions(bufferSize: ReadBufferSize, leaveOpen: false));
                input = decompressed;
            }

            long lineNumber = 0;
            long blankLines = 0;
            while (true)
            {
                var result = await ReadMoreAsync(input, lineNumber + 1, cancellationToken);
                var buffer = result.Buffer;
                while (TryTakeLine(ref buffer, out var line))
                {
                    lineNumber++;
                    if (ParseLine(line, lineNumber) is { } entry)
                        yield return entry;
                    else if (++blankLines > limits.MaxBlankLines)
                        throw TooManyBlankLines(lineNumber, limits.MaxBlankLines);
                }
                if (result.IsCompleted)
                {
                    // A last line without a trailing newline still counts.
                    if (!buffer.IsEmpty)
                    {
                        lineNumber++;
                        if (ParseLine(buffer, lineNumber) is { } entry)
                            yield return entry;
                    }
                    input.AdvanceTo(buffer.End);
                    break;
                }
                if (buffer.Length > MaxLineBytes)
                    throw Malformed(lineNumber + 1, $"the line is longer than {MaxLineBytes:N0} bytes");
                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        finally
        {
            if (decompressed is not null)
                await decompressed.CompleteAsync();
            await raw.CompleteAsync();
        }
    }

    private static async ValueTask<bool> IsGzipAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        var peek = await reader.ReadAtLeastAsync(2, cancellationToken);
        var buffer = peek.Buffer;
        var isGzip = false;
        if (buffer.Length >= 2)
        {
            Span<byte> magic = stackalloc byte[2];
            buffer.Slice(0, 2).CopyTo(magic);
            isGzip = magic[0] == 0x1f && magic[1] == 0x8b;
        }
        // Consume nothing: the peeked bytes are the start of the body either way.
        reader.AdvanceTo(buffer.Start);
        return isGzip;
    }

    private static async ValueTask<ReadResult> ReadMoreAsync(PipeReader reader, long lineNumber, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadAsync(cancellationToken);
        }
        catch (InvalidDataException ex)
        {
            throw Malformed(lineNumber, $"the gzip stream is invalid: {ex.Message}");
        }
    }

    private static bool TryTakeLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        if (buffer.PositionOf((byte)'\n') is not { } newline)
        {
            line = default;
            return false;
        }
        line = buffer.Slice(0, newline);
        buffer = buffer.Slice(buffer.GetPosition(1, newline));
        return true;
    }

    private static ManifestEntry? ParseLine(ReadOnlySequence<byte> line, long lineNumber)
    {
        line = TrimLine(line, lineNumber == 1);
        if (line.IsEmpty)
            return null;

        string? path = null, digest = null, reference = null, extra = null;
        long? size = null;
        var seen = Field.None;
        var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw Malformed(lineNumber, "expected one JSON object per line");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var field = IdentifyField(ref reader);
                reader.Read();
                if (field != Field.None)
                {
                    if ((seen & field) != 0)
                        throw Malformed(lineNumber, $"field \"{FieldName(field)}\" appears more than once");
                    seen |= field;
                }
                switch (field)
                {
                    case Field.Path:
                        path = RequireString(ref reader, "path", lineNumber);
                        break;
                    case Field.Digest:
                        digest = RequireString(ref reader, "digest", lineNumber);
                        break;
                    case Field.Size:
                        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value))
                            throw Malformed(lineNumber, "field \"size\" must be an integer number of bytes");
                        size = value;
                        break;
                    case Field.Ref:
                        reference = reader.TokenType == JsonTokenType.Null ? null : RequireString(ref reader, "ref", lineNumber);
                        break;
                    case Field.Extra:
                        extra = reader.TokenType switch
                        {
                            JsonTokenType.Null => null,
                            JsonTokenType.StartObject => ReadRawObject(ref reader, line),
                            _ => throw Malformed(lineNumber, "field \"extra\" must be a JSON object"),
                        };
                        break;
                    default:
                        // Unknown fields are ignored so that newer clients can add some without breaking older servers.
                        reader.Skip();
                        break;
                }
            }
            // Utf8JsonReader rejects anything after the top-level object as invalid JSON.
            if (reader.Read())
                throw Malformed(lineNumber, "unexpected content after the JSON object");
        }
        catch (JsonException ex)
        {
            throw Malformed(lineNumber, $"not valid JSON (at byte {ex.BytePositionInLine ?? 0})");
        }
        catch (InvalidOperationException)
        {
            // GetString on invalid UTF-8 or an unpaired surrogate escape.
            throw Malformed(lineNumber, "a string is not valid UTF-8 or contains an unpaired surrogate escape");
        }

        if (path is null)
            throw Malformed(lineNumber, "field \"path\" is missing");
        if (digest is null)
            throw Malformed(lineNumber, $"field \"digest\" is missing for path {ManifestPath.Display(path)}");
        if (size is null)
            throw Malformed(lineNumber, $"field \"size\" is missing for path {ManifestPath.Display(path)}");

        var entry = new ManifestEntry(path, digest, size.Value, reference, extra);
        try
        {
            entry.Validate();
        }
        catch (PortalException ex)
        {
            var extensions = new Dictionary<string, object?>(ex.Extensions) { ["line"] = lineNumber };
            throw new PortalException(ex.Status, ex.Code, $"Manifest line {lineNumber}: {ex.Message}", extensions);
        }
        return entry;
    }

    [Flags]
    private enum Field
    {
        None = 0,
        Path = 1,
        Digest = 2,
        Size = 4,
        Ref = 8,
        Extra = 16,
    }

    // Compares the raw (possibly escaped) name without allocating a string per field per line.
    private static Field IdentifyField(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("path"u8) ? Field.Path
        : reader.ValueTextEquals("digest"u8) ? Field.Digest
        : reader.ValueTextEquals("size"u8) ? Field.Size
        : reader.ValueTextEquals("ref"u8) ? Field.Ref
        : reader.ValueTextEquals("extra"u8) ? Field.Extra
        : Field.None;

    private static string FieldName(Field field) => field.ToString().ToLowerInvariant();

    private static string RequireString(ref Utf8JsonReader reader, string name, long lineNumber) =>
        reader.TokenType == JsonTokenType.String
            ? reader.GetString()!
            : throw Malformed(lineNumber, $"field \"{name}\" must be a string");

    private static string ReadRawObject(ref Utf8JsonReader reader, ReadOnlySequence<byte> line)
    {
        var start = reader.TokenStartIndex;
        reader.Skip();
        return Encoding.UTF8.GetString(line.Slice(start, reader.BytesConsumed - start));
    }

    /// <summary>Drops a trailing CR (CRLF files), surrounding blanks, and a UTF-8 byte-order mark on the first line.</summary>
    private static ReadOnlySequence<byte> TrimLine(ReadOnlySequence<byte> line, bool firstLine)
    {
        var reader = new SequenceReader<byte>(line);
        if (firstLine)
            reader.IsNext([0xEF, 0xBB, 0xBF], advancePast: true);
        reader.AdvancePastAny((byte)' ', (byte)'\t', (byte)'\r');
        line = line.Slice(reader.Position);
        // Trailing blanks: walk back over a small tail; lines are short enough that this is cheap.
        var length = line.Length;
        while (length > 0)
        {
            var last = line.Slice(length - 1, 1).FirstSpan[0];
            if (last is not ((byte)' ' or (byte)'\t' or (byte)'\r'))
                break;
            length--;
        }
        return line.Slice(0, length);
    }

    private static PortalException TooManyBlankLines(long lineNumber, int limit) =>
        PortalException.BadRequest(
            ErrorCodes.ManifestMalformed,
            $"Manifest line {lineNumber}: more than {limit:N0} blank lines (setting Storage:MaxBlankManifestLines); send one entry per line without filler.",
            new Dictionary<string, object?> { ["line"] = lineNumber, ["limit"] = limit });

    private static PortalException Malformed(long lineNumber, string problem) =>
        PortalException.BadRequest(
            ErrorCodes.ManifestMalformed,
            $"Manifest line {lineNumber}: {problem}.",
            new Dictionary<string, object?> { ["line"] = lineNumber });
}
