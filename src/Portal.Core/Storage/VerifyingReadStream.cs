using System.Security.Cryptography;
using Portal.Client;

namespace Portal.Core.Storage;

/// <summary>
/// A forward-only, read-only view of a stored blob that hashes the bytes as they pass. When the last byte has been
/// read and the hash does not match the blob's name, the read throws instead of returning, so a consumer that copies
/// the stream to the end fails rather than completing with corrupt content.
/// </summary>
internal sealed class VerifyingReadStream : Stream
{
    private readonly Stream _inner;
    private readonly string _digest;
    private readonly long _expectedLength;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _position;
    private bool _verified;

    public VerifyingReadStream(FileStream inner, string digest)
        : this(inner, digest, inner.Length)
    {
    }

    /// <param name="inner">The blob's bytes from the start, e.g. a download response (need not know its length).</param>
    /// <param name="digest">The blob's name, which its bytes must hash to.</param>
    /// <param name="length">The blob's stored size.</param>
    public VerifyingReadStream(Stream inner, string digest, long length)
    {
        _inner = inner;
        _digest = digest;
        _expectedLength = length;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    /// <summary>Known up front, so HTTP responses can still send Content-Length.</summary>
    public override long Length => _expectedLength;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException("A verifying blob stream cannot seek; open the blob without verification for range reads.");
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = _inner.Read(buffer);
        Observe(buffer[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await _inner.ReadAsync(buffer, cancellationToken);
        Observe(buffer.Span[..read]);
        return read;
    }

    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 0 ? -1 : one[0];
    }

    private void Observe(ReadOnlySpan<byte> bytes)
    {
        _hash.AppendData(bytes);
        _position += bytes.Length;
        // Check on reaching the expected length, not only on the next read returning 0: many consumers stop as soon
        // as they have Length bytes, and they must not get the last chunk of a corrupt blob without an error.
        if (!_verified && (bytes.IsEmpty || _position >= _expectedLength))
        {
            _verified = true;
            var actual = ContentDigest.ToHex(_hash.GetHashAndReset());
            if (actual != _digest)
            {
                throw new PortalException(
                    500,
                    ErrorCodes.DigestMismatch,
                    $"Stored blob sha256:{_digest} is corrupt: its bytes hash to sha256:{actual}. The blob needs to be uploaded again.",
                    new Dictionary<string, object?> { ["expected"] = _digest, ["actual"] = actual });
            }
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) =>
        throw new NotSupportedException("A verifying blob stream cannot seek.");

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            _hash.Dispose();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _inner.DisposeAsync();
        _hash.Dispose();
        await base.DisposeAsync();
    }
}
