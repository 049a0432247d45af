using System.Buffers;
using System.Security.Cryptography;

namespace Portal.Core.Storage;

/// <summary>
/// Parts of a large blob as files under <c>&lt;root&gt;/uploads/&lt;handle&gt;/</c>; completing concatenates them
/// into a staging file while hashing, and renames it into place when the hash is the digest.
/// </summary>
public sealed partial class FileSystemBlobStore : IPartUploadStore
{
    private string UploadsRoot => Path.Combine(Root, "uploads");

    public Task<string> StartPartsAsync(CancellationToken cancellationToken = default)
    {
        var handle = Guid.NewGuid().ToString("N");
        CreateFolder(PartsFolder(handle));
        return Task.FromResult(handle);
    }

    public Task<string?> PutPartAsync(string handle, int number, string path, CancellationToken cancellationToken = default)
    {
        try
        {
            var folder = PartsFolder(handle);
            if (!Directory.Exists(folder))
                throw new InvalidOperationException($"Upload {handle} has no parts folder (aborted or completed).");
            File.Move(path, Path.Combine(folder, PartName(number)), overwrite: true);
            return Task.FromResult<string?>(null);
        }
        finally
        {
            TryDelete(path);
        }
    }

    public async Task<BlobPutResult> CompletePartsAsync(string handle, string digest, long size, IReadOnlyList<StoredPart> parts, CancellationToken cancellationToken = default)
    {
        var folder = PartsFolder(handle);
        try
        {
            var target = GetBlobPath(digest);
            if (TryGetLength(target) is { } existing)
                return new BlobPutResult(digest, existing, AlreadyExisted: true);
            var staging = CreateStagingPath();
            string actual;
            long written = 0;
            try
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                try
                {
                    await using var output = OpenTempFile(staging);
                    foreach (var part in parts.OrderBy(p => p.Number))
                    {
                        await using var input = new FileStream(Path.Combine(folder, PartName(part.Number)), FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan);
                        int read;
                        while ((read = await input.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
                        {
                            hash.AppendData(buffer, 0, read);
                            output.Write(buffer, 0, read);
                            written += read;
                        }
                    }
                    output.Flush(flushToDisk: true);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
                actual = ContentDigest.ToHex(hash.GetHashAndReset());
            }
            catch (IOException ex) when (IsDiskFull(ex))
            {
                TryDelete(staging);
                throw StorageFull();
            }
            catch
            {
                TryDelete(staging);
                throw;
            }

            if (actual != digest || written != size)
            {
                TryDelete(staging);
                throw BlobStoreErrors.DigestMismatch(digest, actual, written);
            }
            return await AdoptAsync(digest, staging, cancellationToken);
        }
        finally
        {
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

    private static string PartName(int number) => number.ToString("D5", System.Globalization.CultureInfo.InvariantCulture);
}
