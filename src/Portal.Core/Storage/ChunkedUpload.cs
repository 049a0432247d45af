using System.Buffers;
using System.Security.Cryptography;

namespace Portal.Core.Storage;

/// <summary>
/// Cuts a put's body into fixed-size chunks for a block or multipart upload, hashing every byte on the way, so a blob of
/// any size costs two chunks of memory. While one chunk uploads the next one is read, as the file-system store does.
/// </summary>
/// <remarks>
/// A body that fits in one chunk is never handed to the part uploader: the caller gets its bytes (in
/// <see cref="Result.SingleChunk"/>) and the digest, and can check the digest before sending anything, then store
/// the blob with one request.
/// </remarks>
internal static class ChunkedUpload
{
    public static async Task<Result> RunAsync(
        Stream content,
        int chunkSize,
        long? maxSize,
        Func<int, ArraySegment<byte>, CancellationToken, Task> uploadPart,
        CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var current = ArrayPool<byte>.Shared.Rent(chunkSize);
        var next = ArrayPool<byte>.Shared.Rent(chunkSize);
        var handedOver = false;
        try
        {
            long size = 0;
            var read = await ReadChunkAsync(current);
            var nextRead = read == chunkSize ? await ReadChunkAsync(next) : 0;
            if (nextRead == 0)
            {
                // All of it fits in one chunk: the caller stores it with one request.
                handedOver = true;
                ArrayPool<byte>.Shared.Return(next);
                return new Result(ContentDigest.ToHex(hash.GetHashAndReset()), size, 0, current, read);
            }

            // Two chunks are already read, so the first part uploads alone; from then on a part uploads while the
            // next chunk is read.
            await uploadPart(1, new ArraySegment<byte>(current, 0, read), cancellationToken);
            var parts = 1;
            (current, next) = (next, current);
            read = nextRead;
            while (read > 0)
            {
                parts++;
                var upload = uploadPart(parts, new ArraySegment<byte>(current, 0, read), cancellationToken);
                try
                {
                    nextRead = read == chunkSize ? await ReadChunkAsync(next) : 0;
                }
                finally
                {
                    // Never hand a buffer back to the pool while a part upload still reads from it.
                    await upload.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
                await upload;
                (current, next) = (next, current);
                read = nextRead;
            }
            return new Result(ContentDigest.ToHex(hash.GetHashAndReset()), size, parts, null, 0);

            async Task<int> ReadChunkAsync(byte[] buffer)
            {
                var count = await content.ReadAtLeastAsync(buffer.AsMemory(0, chunkSize), chunkSize, throwOnEndOfStream: false, cancellationToken);
                size += count;
                if (size > maxSize)
                    throw BlobStoreErrors.TooLarge(maxSize.Value);
                hash.AppendData(buffer, 0, count);
                return count;
            }
        }
        finally
        {
            if (!handedOver)
            {
                ArrayPool<byte>.Shared.Return(current);
                ArrayPool<byte>.Shared.Return(next);
            }
        }
    }

    /// <param name="Digest">SHA-256 of everything read.</param>
    /// <param name="Size">Bytes read.</param>
    /// <param name="Parts">Parts handed to the uploader; 0 when the body fit in one chunk.</param>
    /// <param name="SingleChunkBuffer">With no parts: a pooled buffer holding the body; returned on dispose.</param>
    /// <param name="SingleChunkLength">Bytes of the body in <paramref name="SingleChunkBuffer"/>.</param>
    public sealed record Result(string Digest, long Size, int Parts, byte[]? SingleChunkBuffer, int SingleChunkLength) : IDisposable
    {
        public ReadOnlyMemory<byte> SingleChunk => SingleChunkBuffer.AsMemory(0, SingleChunkLength);

        public void Dispose()
        {
            if (SingleChunkBuffer is not null)
                ArrayPool<byte>.Shared.Return(SingleChunkBuffer);
        }
    }
}
