using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Portal.Client;
using Portal.Client.Models;

namespace Portal.Core.Features.Artifacts.Manifests;

/// <summary>
/// Reads a <see cref="CreateVersionRequest"/> JSON body from the request stream without holding it whole: the
/// <c>entries</c> array is yielded one entry at a time as it arrives (Utf8JsonReader over a PipeReader), the other,
/// small fields are kept as raw JSON and bound by <see cref="JsonSerializer"/> once the body has been read. Fields may
/// come in any order; those after <c>entries</c> are known when the enumeration ends.
/// </summary>
/// <remarks>
/// Buffering the whole request (entries as objects, then again as manifest entries) made six concurrent 28 MB
/// manifests take a gigabyte of server memory.
/// </remarks>
public sealed class VersionRequestJsonReader(JsonSerializerOptions json)
{
    private const int ReadBufferSize = 64 * 1024;

    private readonly Dictionary<string, byte[]> _fields = new(StringComparer.OrdinalIgnoreCase);
    private JsonReaderState _state = new(new JsonReaderOptions { MaxDepth = 64 });
    private Mode _mode = Mode.Start;
    private long _entryNumber;

    private enum Mode
    {
        Start,
        Fields,
        Entries,
        End,
    }

    /// <summary>Streams the body's entries; when the enumeration has ended, <see cref="Request"/> holds the other fields.</summary>
    public async IAsyncEnumerable<ManifestEntry> ReadEntriesAsync(Stream body, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var pipe = PipeReader.Create(body, new StreamPipeReaderOptions(bufferSize: ReadBufferSize, leaveOpen: true));
        var batch = new List<ManifestEntry>();
        try
        {
            while (true)
            {
                var result = await pipe.ReadAsync(cancellationToken);
                var buffer = result.Buffer;
                SequencePosition consumed;
                try
                {
                    consumed = Parse(buffer, result.IsCompleted, batch);
                }
                catch (JsonException ex)
                {
                    throw NotJson(ex.Message);
                }
                foreach (var entry in batch)
                    yield return entry;
                batch.Clear();
                if (result.IsCompleted)
                {
                    if (_mode != Mode.End)
                        throw NotJson("the body ends before its JSON object does");
                    break;
                }
                if (buffer.Slice(consumed).Length > ManifestNdjsonReader.MaxLineBytes && _mode == Mode.Entries)
                    throw Malformed($"Entry {_entryNumber + 1} is longer than {ManifestNdjsonReader.MaxLineBytes:N0} bytes.");
                pipe.AdvanceTo(consumed, buffer.End);
            }
        }
        finally
        {
            await pipe.CompleteAsync();
        }
    }

    /// <summary>The fields other than <c>entries</c>, bound as the API's JSON binding would (read after the entries).</summary>
    public CreateVersionRequest Request()
    {
        using var composed = new MemoryStream();
        using (var writer = new Utf8JsonWriter(composed))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in _fields)
            {
                writer.WritePropertyName(name);
                writer.WriteRawValue(value, skipInputValidation: true);
            }
            writer.WriteEndObject();
        }
        try
        {
            return JsonSerializer.Deserialize<CreateVersionRequest>(composed.ToArray(), json)
                ?? throw NotJson("expected a JSON object");
        }
        catch (JsonException ex)
        {
            throw NotJson(ex.Message);
        }
    }

    /// <summary>Parses whole units (one field, one entry) from <paramref name="buffer"/>; returns where the unfinished rest starts.</summary>
    private SequencePosition Parse(ReadOnlySequence<byte> buffer, bool isFinalBlock, List<ManifestEntry> output)
    {
        var reader = new Utf8JsonReader(buffer, isFinalBlock, _state);
        while (true)
        {
            if (_mode == Mode.End)
            {
                // Only white space may follow; Read throws on a partial token in the final block.
                if (reader.Read())
                    throw NotJson("unexpected content after the JSON object");
                _state = reader.CurrentState;
                return reader.Position;
            }
            var checkpoint = (reader.CurrentState, reader.Position);
            if (!TryParseUnit(ref reader, buffer, output))
            {
                _state = checkpoint.CurrentState;
                return checkpoint.Position;
            }
        }
    }

    private bool TryParseUnit(ref Utf8JsonReader reader, ReadOnlySequence<byte> buffer, List<ManifestEntry> output)
    {
        switch (_mode)
        {
            case Mode.Start:
                if (!reader.Read())
                    return false;
                if (reader.TokenType != JsonTokenType.StartObject)
                    throw NotJson("expected a JSON object");
                _mode = Mode.Fields;
                return true;

            case Mode.Fields:
                return TryParseField(ref reader, buffer);

            case Mode.Entries:
                return TryParseEntry(ref reader, buffer, output);

            default:
                throw new InvalidOperationException($"No unit to parse in mode {_mode}.");
        }
    }

    private bool TryParseField(ref Utf8JsonReader reader, ReadOnlySequence<byte> buffer)
    {
        if (!reader.Read())
            return false;
        if (reader.TokenType == JsonTokenType.EndObject)
        {
            _mode = Mode.End;
            return true;
        }
        var name = reader.GetString()!;
        if (!reader.Read())
            return false;
        if (name.Equals("entries", StringComparison.OrdinalIgnoreCase) && reader.TokenType == JsonTokenType.StartArray)
        {
            _mode = Mode.Entries;
            return true;
        }
        var start = reader.TokenStartIndex;
        if (!reader.TrySkip())
            return false;
        if (!name.Equals("entries", StringComparison.OrdinalIgnoreCase))
            _fields[name] = buffer.Slice(start, reader.BytesConsumed - start).ToArray();
        else if (reader.TokenType != JsonTokenType.Null)
            throw NotJson("\"entries\" must be an array of entries");
        return true;
    }

    private bool TryParseEntry(ref Utf8JsonReader reader, ReadOnlySequence<byte> buffer, List<ManifestEntry> output)
    {
        if (!reader.Read())
            return false;
        if (reader.TokenType == JsonTokenType.EndArray)
        {
            _mode = Mode.Fields;
            return true;
        }
        var start = reader.TokenStartIndex;
        if (!reader.TrySkip())
            return false;
        _entryNumber++;
        var element = new Utf8JsonReader(buffer.Slice(start, reader.BytesConsumed - start));
        var model = JsonSerializer.Deserialize<ManifestEntryModel>(ref element, json)
            ?? throw Malformed($"Entry {_entryNumber}: expected an object with path, digest and size.");
        output.Add(ManifestEntryModels.ToEntry(model, _entryNumber));
        return true;
    }

    private static PortalException NotJson(string problem) =>
        PortalException.BadRequest(ErrorCodes.ValidationFailed, $"The request body is not valid JSON for this endpoint: {problem}");

    private PortalException Malformed(string message) =>
        PortalException.BadRequest(ErrorCodes.ManifestMalformed, message, new Dictionary<string, object?> { ["line"] = _entryNumber });
}
