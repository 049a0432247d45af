using System.Buffers;
using System.Security.Cryptography;

namespace Portal.Core.Storage;

/// <summary>
/// Parts of a large blob are written straight into one file, <c>&lt;root&gt;/uploads/&lt;handle&gt;/data</c>, each at
/// its own offset; completing hashes that file and renames it into place. Every byte is written once, as with a single
/// upload, whatever the number of parts.
/// </summary>
public sealed partial class FileSystemBlobStore : IPartUploadStore
{
    private const string PartsDataName = "data";

    private string UploadsRoot => Path.Combine(Root, "uploads");

    public Task<string> StartPartsAsync(CancellationToken cancellationToken = default)
    {
        var handle = Guid.NewGuid().ToString("N");
        CreateFolder(PartsFolder(handle));
        return Task.FromResult(handle);
    }

    public string? InPlaceFile(string handle)
    {
        var folder = PartsFolder(handle);
        return Directory.Exists(folder) ? Path.Combine(folder, PartsDataName) : null;
    }

    public Task<string?> PutPartAsync(string handle, int number, long offset, string path, CancellationToken cancellationToken = default)
    {
        try
        {
            var target = InPlaceFile(handle) ?? throw new InvalidOperationException($"Upload {handle} has no parts folder (aborted or completed).");
            using var output = File.OpenHandle(target, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite);
            using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan);
            var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            try
            {
                int read;
                while ((read = input.Read(buffer, 0, BufferSize)) > 0)
                {
                    RandomAccess.Write(output, buffer.AsSpan(0, read), offset);
                    offset += read;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            return Task.FromResult<string?>(null);
        }
        finally
        {
            TryDelete(path);
        }
    }

    public async Task<BlobPutResult> CompletePartsAsync(string handle, string digest, long size, IReadOnlyList<StoredPart> parts, CancellationToken cancellationToken = default)
    {
        var data = InPlaceFile(handle) ?? throw new InvalidOperationException($"Upload {handle} has no parts folder (aborted or completed).");
        // The parts go when the outcome is known (stored, or not the digest's bytes); after a fault (disk, cancelled
        // request) they stay, so completing can be asked again.
        var settled = false;
        try
        {
            // Hashed even when the store holds the blob: completing is what proves the uploader has the bytes.
            string actual;
            long length;
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                try
                {
                    await using var input = new FileStream(data, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan);
                    length = input.Length;
                    int read;
                    while ((read = input.Read(buffer, 0, BufferSize)) > 0)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        hash.AppendData(buffer, 0, read);
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
                actual = ContentDigest.ToHex(hash.GetHashAndReset());
            }

            if (actual != digest || length != size)
            {
                settled = true;
                throw BlobStoreErrors.DigestMismatch(digest, actual, length);
            }
            using (var flush = new FileStream(data, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1))
                flush.Flush(flushToDisk: true);
            var result = await AdoptAsync(digest, data, cancellationToken);
            settled = true;
            return result;
        }
        finally
        {
            if (settled)
                await AbortPartsAsync(handle, CancellationToken.None);
        }
    }

    public Task AbortPartsAsync(string handle, CancellationToken cancellationToken = default)
    {
        var folder = PartsFolder(handle);
        try
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Removed by a concurrent abort, or busy: the session expiry tries again.
        }
        return Task.CompletedTask;
    }

    /// <summary>Handles are the store's own GUIDs; anything else never becomes a path.</summary>
    private string PartsFolder(string handle) =>
        Guid.TryParseExact(handle, "N", out _)
            ? Path.Combine(UploadsRoot, handle)
            : throw new ArgumentException($"'{handle}' is not an upload handle of this store.", nameof(handle));
}
