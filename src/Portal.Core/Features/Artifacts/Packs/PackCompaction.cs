using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Data;
using Portal.Core.Storage;

namespace Portal.Core.Features.Artifacts.Packs;

/// <summary>What one compaction run did.</summary>
public sealed record PackCompactionResult(int PacksRewritten, int BlobsMoved, int BlobsFoundCorrupt, int PacksDeleted, long BytesFreed);

/// <summary>
/// Garbage collection for packs. Deleting a packed blob only removes its row; the bytes stay in the pack. A pack whose
/// live blobs fill less than a given share of it is rewritten: its live blobs (each verified) go into a new pack, their
/// rows move there in one transaction, and the old pack is retired. A retired pack's object is deleted a while later
/// (reads that had just looked up the old place still find it), once no row points into it.
/// </summary>
public sealed class PackCompaction(
    PackAwareBlobStore store,
    IDbContextFactory<PortalDbContext> dbFactory,
    TimeProvider clock,
    ILogger<PackCompaction> logger)
{
    public async Task<PackCompactionResult> RunAsync(double rewriteBelowLiveShare, TimeSpan retireDelay, long maxBytes, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var (rewritten, moved, corrupt, freedByRewrite) = await RewriteSparsePacksAsync(rewriteBelowLiveShare, maxBytes, now, ct);
        var (deleted, freed) = await DeleteRetiredAsync(now - retireDelay, ct);
        return new PackCompactionResult(rewritten, moved, corrupt, deleted, freed);
    }

    private sealed record PackUse(string Digest, long Size, long LiveBytes, int LiveBlobs);

    private async Task<(int Rewritten, int Moved, int Corrupt, long Freed)> RewriteSparsePacksAsync(double share, long maxBytes, DateTimeOffset now, CancellationToken ct)
    {
        List<PackUse> sparse;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var uses = await db.BlobPacks.AsNoTracking()
                .Where(p => p.RetiredAt == null)
                .Select(p => new
                {
                    p.Digest,
                    p.Size,
                    p.BlobBytes,
                    LiveBytes = db.StoredBlobs.Where(b => b.PackDigest == p.Digest).Sum(b => (long?)b.Size) ?? 0,
                    LiveBlobs = db.StoredBlobs.Count(b => b.PackDigest == p.Digest),
                })
                .ToListAsync(ct);
            // Measured against the blobs' bytes, not the object's: a pack of tiny blobs has a trailer as big as they are.
            sparse = uses.Where(u => u.LiveBlobs == 0 || u.LiveBytes < share * u.BlobBytes).OrderBy(u => u.LiveBytes).Select(u => new PackUse(u.Digest, u.Size, u.LiveBytes, u.LiveBlobs)).ToList();
        }

        int rewritten = 0, moved = 0, corrupt = 0;
        long budget = maxBytes, freed = 0;
        var group = new List<PackUse>();
        long groupBytes = 0;
        foreach (var pack in sparse)
        {
            if (pack.LiveBytes > budget)
                break;
            group.Add(pack);
            groupBytes += pack.LiveBytes;
            budget -= pack.LiveBytes;
            if (groupBytes >= PackWriter.TargetPackBytes)
            {
                var (m, c) = await RewriteAsync(group, now, ct);
                (rewritten, moved, corrupt, freed) = (rewritten + group.Count, moved + m, corrupt + c, freed + group.Sum(p => p.Size) - groupBytes);
                group.Clear();
                groupBytes = 0;
            }
        }
        if (group.Count > 0)
        {
            var (m, c) = await RewriteAsync(group, now, ct);
            (rewritten, moved, corrupt, freed) = (rewritten + group.Count, moved + m, corrupt + c, freed + group.Sum(p => p.Size) - groupBytes);
        }
        return (rewritten, moved, corrupt, freed);
    }

    /// <summary>Moves the live blobs of <paramref name="packs"/> into one new pack and retires them.</summary>
    private async Task<(int Moved, int Corrupt)> RewriteAsync(List<PackUse> packs, DateTimeOffset now, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var digests = packs.Select(p => p.Digest).ToList();
        var live = await db.StoredBlobs.AsNoTracking()
            .Where(b => b.PackDigest != null && digests.Contains(b.PackDigest))
            .OrderBy(b => b.PackDigest).ThenBy(b => b.PackOffset)
            .Select(b => new { b.Digest, b.Size, b.PackDigest, b.PackOffset })
            .ToListAsync(ct);

        using var builder = new PackBuilder(store.CreateStagingPath());
        var corrupt = new List<string>();
        var buffer = new byte[PackWriter.MaxPackedBlobBytes];
        foreach (var byPack in live.GroupBy(b => b.PackDigest!))
        {
            await using var pack = await store.Objects.OpenReadAsync(byPack.Key, verify: false, ct);
            foreach (var blob in byPack)
            {
                var bytes = blob.Size <= buffer.Length ? buffer.AsMemory(0, (int)blob.Size) : new byte[blob.Size];
                pack.Position = blob.PackOffset ?? 0;
                var read = await pack.ReadAtLeastAsync(bytes, bytes.Length, throwOnEndOfStream: false, ct);
                if (read != bytes.Length || Convert.ToHexStringLower(SHA256.HashData(bytes.Span)) != blob.Digest)
                {
                    corrupt.Add(blob.Digest);
                    continue;
                }
                builder.Add(blob.Digest, bytes.Span);
            }
        }

        string? newPack = null;
        long newSize = 0;
        if (builder.Blobs.Count > 0)
        {
            (newPack, newSize) = builder.Finish();
            await store.AdoptAsync(newPack, builder.StagingPath, ct);
        }

        await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            if (newPack is not null && !await db.BlobPacks.AnyAsync(p => p.Digest == newPack, ct))
                db.BlobPacks.Add(new BlobPack { Digest = newPack, Size = newSize, BlobCount = builder.Blobs.Count, BlobBytes = builder.Length, CreatedAt = now });
            await db.SaveChangesAsync(ct);
            foreach (var blob in builder.Blobs)
            {
                // Only a row still in one of the old packs moves: garbage collection may have dropped it meanwhile.
                await db.StoredBlobs.Where(b => b.Digest == blob.Digest && b.PackDigest != null && digests.Contains(b.PackDigest))
                    .ExecuteUpdateAsync(s => s.SetProperty(b => b.PackDigest, newPack).SetProperty(b => b.PackOffset, blob.Offset), ct);
            }
            // Bytes that no longer match their name are lost; the scrub's verdict is given now (uploads ask for them again).
            foreach (var chunk in corrupt.Chunk(BlobUploads.LookupChunk))
            {
                await db.StoredBlobs.Where(b => chunk.Contains(b.Digest))
                    .ExecuteUpdateAsync(s => s.SetProperty(b => b.Corrupt, true).SetProperty(b => b.PackDigest, (string?)null).SetProperty(b => b.PackOffset, (long?)null), ct);
            }
            await db.BlobPacks.Where(p => digests.Contains(p.Digest)).ExecuteUpdateAsync(s => s.SetProperty(p => p.RetiredAt, now), ct);
            await transaction.CommitAsync(ct);
        });
        if (corrupt.Count > 0)
            logger.LogWarning("Pack rewrite found {Count} blobs whose bytes no longer match their digest; they are marked corrupt", corrupt.Count);
        return (builder.Blobs.Count, corrupt.Count);
    }

    /// <summary>Deletes retired packs (retired before <paramref name="before"/>) that no row points into any more.</summary>
    private async Task<(int Deleted, long Freed)> DeleteRetiredAsync(DateTimeOffset before, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var retired = await db.BlobPacks.AsNoTracking()
            .Where(p => p.RetiredAt != null && p.RetiredAt < before && !db.StoredBlobs.Any(b => b.PackDigest == p.Digest))
            .Select(p => new { p.Digest, p.Size })
            .ToListAsync(ct);
        int deleted = 0;
        long freed = 0;
        foreach (var pack in retired)
        {
            // The same bytes may also be a blob of their own (someone uploaded exactly this pack): then they stay.
            var alsoABlob = await db.StoredBlobs.AnyAsync(b => b.Digest == pack.Digest && b.PackDigest == null, ct);
            var removed = await db.BlobPacks.Where(p => p.Digest == pack.Digest && !db.StoredBlobs.Any(b => b.PackDigest == p.Digest)).ExecuteDeleteAsync(ct);
            if (removed == 0)
                continue;
            if (!alsoABlob && await store.Objects.DeleteAsync(pack.Digest, ct))
                freed += pack.Size;
            deleted++;
        }
        return (deleted, freed);
    }
}
