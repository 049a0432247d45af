namespace Portal.Core.Storage;

/// <summary>
/// A seekable, read-only window of <c>length</c> bytes starting at <c>offset</c> of a seekable stream (one blob inside
/// a pack). Disposing the slice disposes the stream it reads.
/// </summary>
internal sealed class StreamSlice : Stream
{
    private readonly Stream _inner;
    private readonly long _offset;
    private readonly long _length;
    private long _position;

    public StreamSlice(Stream inner, long offset, long length)
    {
        if (!inner.CanSeek)
            throw new ArgumentException("A slice needs a seekable stream.", nameof(inner));
        _inner = inner;
        _offset = offset;
        _length = length;
    }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var wanted = (int)Math.Min(buffer.Length, Math.Max(0, _length - _position));
        if (wanted == 0)
            return 0;
        if (_inner.Position != _offset + _position)
            _inner.Position = _offset + _position;
        var read = _inner.Read(buffer[..wanted]);
        _position += read;
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var wanted = (int)Math.Min(buffer.Length, Math.Max(0, _length - _position));
        if (wanted == 0)
            return 0;
        if (_inner.Position != _offset + _position)
            _inner.Position = _offset + _position;
        var read = await _inner.ReadAsync(buffer[..wanted], cancellationToken);
        _position += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => _length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        return _position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _inner.Dispose();
        base.Dispose(disposing);
    }
}
