namespace Portal.Core.Storage;

/// <summary>
/// A seekable, read-only view of a remote object of known length. Sequential reads stream one ranged GET from the
/// current position to the end; a seek just moves the position, and the next read opens a new ranged GET there. So a
/// range request costs one round trip and a full download streams without buffering.
/// </summary>
internal sealed class RangedReadStream : Stream
{
    private readonly Func<long, CancellationToken, Task<Stream>> _openAt;
    private readonly long _length;
    private Stream? _body;
    private long _bodyPosition;
    private long _position;

    /// <param name="length">The object's size in bytes.</param>
    /// <param name="openAt">Opens the object's bytes from an offset (below <paramref name="length"/>) to its end.</param>
    public RangedReadStream(long length, Func<long, CancellationToken, Task<Stream>> openAt)
    {
        _length = length;
        _openAt = openAt;
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

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position >= _length || buffer.IsEmpty)
            return 0;
        if (_body is null || _bodyPosition != _position)
        {
            if (_body is not null)
                await _body.DisposeAsync();
            _body = null;
            _body = await _openAt(_position, cancellationToken);
            _bodyPosition = _position;
        }
        var max = (int)Math.Min(buffer.Length, _length - _position);
        var read = await _body.ReadAsync(buffer[..max], cancellationToken);
        if (read == 0)
            throw new IOException($"The blob store ended the response at byte {_position:N0} of {_length:N0}.");
        _position += read;
        _bodyPosition += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // The store's SDKs are asynchronous; synchronous callers (rare: ASP.NET Core reads response bodies asynchronously)
    // block on the same path.
    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _body?.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_body is not null)
            await _body.DisposeAsync();
        await base.DisposeAsync();
    }
}
