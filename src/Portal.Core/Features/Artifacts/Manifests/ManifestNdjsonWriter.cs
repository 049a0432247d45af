using System.Buffers;
using System.IO.Compression;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Portal.Core.Features.Artifacts.Manifests;

/// <summary>
/// Writes manifest entries as NDJSON in the format <see cref="ManifestNdjsonReader"/> reads, optionally gzipped.
/// Dispose (asynchronously) to flush.
/// </summary>
public sealed class ManifestNdjsonWriter : IAsyncDisposable
{
    private const int FlushThreshold = 64 * 1024;

    // Relaxed escaping keeps non-ASCII paths readable; the output is never embedded in HTML.
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Stream _output;
    private readonly Stream _target;
    private readonly bool _leaveOpen;
    private readonly ArrayBufferWriter<byte> _buffer = new(FlushThreshold * 2);
    private readonly Utf8JsonWriter _json;

    public ManifestNdjsonWriter(Stream stream, bool gzip = false, bool leaveOpen = false)
    {
        _target = stream;
        _leaveOpen = leaveOpen;
        _output = gzip ? new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true) : stream;
        _json = new Utf8JsonWriter(_buffer, JsonOptions);
    }

    public async ValueTask WriteAsync(ManifestEntry entry, CancellationToken cancellationToken = default)
    {
        WriteLine(entry);
        if (_buffer.WrittenCount >= FlushThreshold)
            await FlushBufferAsync(cancellationToken);
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        await FlushBufferAsync(cancellationToken);
        await _output.FlushAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await FlushBufferAsync(CancellationToken.None);
        await _json.DisposeAsync();
        if (!ReferenceEquals(_output, _target))
            await _output.DisposeAsync();
        if (!_leaveOpen)
            await _target.DisposeAsync();
        else
            await _target.FlushAsync();
    }

    /// <summary>Writes all <paramref name="entries"/> to <paramref name="stream"/> and leaves it open.</summary>
    public static async Task WriteAllAsync(
        Stream stream, IEnumerable<ManifestEntry> entries, bool gzip = false, CancellationToken cancellationToken = default)
    {
        await using var writer = new ManifestNdjsonWriter(stream, gzip, leaveOpen: true);
        foreach (var entry in entries)
            await writer.WriteAsync(entry, cancellationToken);
    }

    /// <inheritdoc cref="WriteAllAsync(Stream, IEnumerable{ManifestEntry}, bool, CancellationToken)"/>
    public static async Task WriteAllAsync(
        Stream stream, IAsyncEnumerable<ManifestEntry> entries, bool gzip = false, CancellationToken cancellationToken = default)
    {
        await using var writer = new ManifestNdjsonWriter(stream, gzip, leaveOpen: true);
        await foreach (var entry in entries.WithCancellation(cancellationToken))
            await writer.WriteAsync(entry, cancellationToken);
    }

    private void WriteLine(ManifestEntry entry)
    {
        _json.Reset(_buffer);
        _json.WriteStartObject();
        _json.WriteString("path"u8, entry.Path);
        _json.WriteString("digest"u8, entry.Digest);
        _json.WriteNumber("size"u8, entry.Size);
        if (entry.Ref is not null)
            _json.WriteString("ref"u8, entry.Ref);
        if (entry.ExtraJson is not null)
        {
            _json.WritePropertyName("extra"u8);
            _json.WriteRawValue(entry.ExtraJson);
        }
        _json.WriteEndObject();
        _json.Flush();
        _buffer.GetSpan(1)[0] = (byte)'\n';
        _buffer.Advance(1);
    }

    private async ValueTask FlushBufferAsync(CancellationToken cancellationToken)
    {
        if (_buffer.WrittenCount == 0)
            return;
        await _output.WriteAsync(_buffer.WrittenMemory, cancellationToken);
        _buffer.ResetWrittenCount();
    }
}
