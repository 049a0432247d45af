using System.Buffers.Binary;
using System.IO.Compression;

namespace Portal.Core.Features.Artifacts.Manifests;

/// <summary>
/// Decompresses gzip and fails when the input ends before the gzip trailer. <see cref="GZipStream"/> silently treats
/// a truncated body as a complete one, which for a manifest would mean quietly committing a version with fewer
/// files. The trailer's ISIZE (uncompressed length mod 2^32) is compared with what was actually produced; a truncated
/// stream ends in arbitrary deflate bytes, which match with odds of one in four billion. (zlib itself checks the CRC
/// when the trailer is present.)
/// </summary>
/// <remarks>Concatenated gzip members fail the check too (the trailer covers only the last one) and are rejected.</remarks>
internal sealed class TruncationCheckingGzipStream : Stream
{
    private readonly TailRecordingStream _compressed;
    private readonly GZipStream _gzip;
    private readonly ManifestReadLimits? _limits;
    private long _length;
    private bool _checked;

    /// <param name="limits">When given, inflating past them fails the read at once (a decompression bomb).</param>
    public TruncationCheckingGzipStream(Stream compressed, ManifestReadLimits? limits = null)
    {
        _limits = limits;
        _compressed = new TailRecordingStream(compressed);
        _gzip = new GZipStream(_compressed, CompressionMode.Decompress);
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => Observe(_gzip.Read(buffer));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Observe(await _gzip.ReadAsync(buffer, cancellationToken));

    private int Observe(int read)
    {
        _length += read;
        _limits?.CheckInflated(_length, _compressed.Total);
        if (read == 0 && !_checked)
        {
            _checked = true;
            if (!_compressed.TryGetTail(out var tail) || BinaryPrimitives.ReadUInt32LittleEndian(tail[4..]) != unchecked((uint)_length))
                throw new InvalidDataException("it ends before the gzip trailer (truncated upload?) or consists of several gzip members, which is not supported");
        }
        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _gzip.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>Passes reads through and keeps the last 8 bytes: the gzip trailer, if the stream is complete.</summary>
    private sealed class TailRecordingStream(Stream inner) : Stream
    {
        private readonly byte[] _tail = new byte[8];
        private long _total;

        public long Total => _total;

        public bool TryGetTail(out ReadOnlySpan<byte> tail)
        {
            tail = _tail;
            return _total >= _tail.Length;
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = inner.Read(buffer);
            Record(buffer[..read]);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            Record(buffer.Span[..read]);
            return read;
        }

        private void Record(ReadOnlySpan<byte> bytes)
        {
            _total += bytes.Length;
            if (bytes.Length >= _tail.Length)
            {
                bytes[^_tail.Length..].CopyTo(_tail);
                return;
            }
            // Shift the kept bytes left and append the new ones.
            _tail.AsSpan(bytes.Length).CopyTo(_tail);
            bytes.CopyTo(_tail.AsSpan(_tail.Length - bytes.Length));
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
