using System.Buffers;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Client;
using Portal.Core.Data;
using Portal.Core.Storage;

namespace Portal.Core.Features.Artifacts.Packs;

/// <summary>
/// The blob store as the rest of the portal sees it: a blob is either an object of its own in the underlying store
/// (<see cref="StorageServiceCollectionExtensions.ObjectStoreKey"/>) or a slice of a pack there, and every read, check and size answer works for both. Writes
/// of single blobs go to the objects as before; packs are written by <see cref="PackWriter"/>.
/// </summary>
public sealed class PackAwareBlobStore(
    [FromKeyedServices(StorageServiceCollectionExtensions.ObjectStoreKey)] IBlobStore objects,
    IDbContextFactory<PortalDbContext> dbFactory) : IBlobStore
{
    /// <summary>The object store below (file system, Azure Blob or S3).</summary>
    public IBlobStore Objects => objects;

    public Task<BlobPutResult> PutAsync(string expectedDigest, Stream content, long? maxSize, CancellationToken cancellationToken = default) =>
        objects.PutAsync(expectedDigest, content, maxSize, cancellationToken);

    public Task<BlobPutResult> PutAsync(string expectedDigest, Stream content, CancellationToken cancellationToken = default) =>
        objects.PutAsync(expectedDigest, content, cancellationToken);

    public Task<BlobPutResult> PutAsync(Stream content, long? maxSize, CancellationToken cancellationToken = default) =>
        objects.PutAsync(content, maxSize, cancellationToken);

    public Task<BlobPutResult> PutAsync(Stream content, CancellationToken cancellationToken = default) =>
        objects.PutAsync(content, cancellationToken);

    public async Task<bool> ExistsAsync(string digest, CancellationToken cancellationToken = default) =>
        await LocateAsync(digest, cancellationToken) is { } packed
            ? await objects.ExistsAsync(packed.Pack, cancellationToken)
            : await objects.ExistsAsync(digest, cancellationToken);

    public async Task<long?> GetSizeAsync(string digest, CancellationToken cancellationToken = default) =>
        await LocateAsync(digest, cancellationToken) is { } packed
            ? (await objects.ExistsAsync(packed.Pack, cancellationToken) ? packed.Size : null)
            : await objects.GetSizeAsync(digest, cancellationToken);

    public async Task<Stream> OpenReadAsync(string digest, bool verify, CancellationToken cancellationToken = default)
    {
        if (await LocateAsync(digest, cancellationToken) is not { } packed)
            return await objects.OpenReadAsync(digest, verify, cancellationToken);
        Stream pack;
        try
        {
            pack = await objects.OpenReadAsync(packed.Pack, verify: false, cancellationToken);
        }
        catch (PortalException ex) when (ex.Code == ErrorCodes.BlobNotFound)
        {
            throw PortalException.NotFound(ErrorCodes.BlobNotFound, $"Blob sha256:{digest} is not stored (its pack sha256:{packed.Pack} is missing).");
        }
        var slice = new StreamSlice(pack, packed.Offset, packed.Size);
        return verify ? new VerifyingReadStream(slice, digest, packed.Size) : slice;
    }

    /// <summary>
    /// Removes a blob stored as an object of its own. A packed blob's bytes stay until garbage collection rewrites its
    /// pack, and an object that is also a pack (the same bytes) is kept for the pack's sake.
    /// </summary>
    public async Task<bool> DeleteAsync(string digest, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.BlobPacks.AnyAsync(p => p.Digest == digest, cancellationToken))
            return false;
        return await objects.DeleteAsync(digest, cancellationToken);
    }

    public async Task<bool> VerifyAsync(string digest, CancellationToken cancellationToken = default)
    {
        if (await LocateAsync(digest, cancellationToken) is null)
            return await objects.VerifyAsync(digest, cancellationToken);
        try
        {
            await using var stream = await OpenReadAsync(digest, verify: false, cancellationToken);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
            try
            {
                long total = 0;
                int read;
                while ((read = await stream.ReadAsync(buffer.AsMemory(0, 1 << 20), cancellationToken)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    total += read;
                }
                return total == stream.Length && ContentDigest.ToHex(hash.GetHashAndReset()) == digest;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        catch (PortalException ex) when (ex.Code == ErrorCodes.BlobNotFound)
        {
            return false;
        }
    }

    public Task<int> CleanupTempFilesAsync(TimeSpan olderThan, CancellationToken cancellationToken = default) =>
        objects.CleanupTempFilesAsync(olderThan, cancellationToken);

    public string CreateStagingPath() => objects.CreateStagingPath();

    public Task<BlobPutResult> AdoptAsync(string digest, string path, CancellationToken cancellationToken = default) =>
        objects.AdoptAsync(digest, path, cancellationToken);

    private sealed record Location(string Pack, long Offset, long Size);

    private async Task<Location?> LocateAsync(string digest, CancellationToken ct)
    {
        ContentDigest.Validate(digest);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.StoredBlobs.AsNoTracking()
            .Where(b => b.Digest == digest && b.PackDigest != null)
            .Select(b => new { b.PackDigest, b.PackOffset, b.Size })
            .FirstOrDefaultAsync(ct);
        return row is null ? null : new Location(row.PackDigest!, row.PackOffset ?? 0, row.Size);
    }
}
