using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Storage;

namespace Portal.Core.Features.Artifacts.Packs;

/// <summary>
/// Gathers the small blobs of one batch upload into packs: each verified blob is appended to a staging file, and a
/// full pack (or the last one) is stored as one object and recorded in one transaction — a file, a flush and a commit
/// for thousands of blobs instead of one each. A blob the portal already holds intact is not written again.
/// </summary>
/// <remarks>
/// Crash safety: a pack object is durable before any row points into it, and rows are written in one transaction,
/// so a crash leaves either nothing recorded (the client uploads again) or the whole pack recorded. A staging file
/// left by a crash is removed by the store's clean-up of stale temp files.
/// </remarks>
internal sealed class PackWriter(IBlobStore store, IDbContextFactory<PortalDbContext> dbFactory, TimeProvider clock) : IDisposable
{
    /// <summary>Blobs up to this size go into packs; larger ones stay objects of their own (they are few and big).</summary>
    public const int MaxPackedBlobBytes = 512 * 1024;

    /// <summary>A pack is closed once its blobs reach this size.</summary>
    public const long TargetPackBytes = 32L * 1024 * 1024;

    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly List<BlobPutResult> _results = [];
    private PackBuilder? _pack;

    /// <summary>What was stored so far: each blob of the batch once, new or already held.</summary>
    public IReadOnlyList<BlobPutResult> Results => _results;

    /// <summary>Appends a blob whose bytes were verified against <paramref name="digest"/>; a repeat within the batch is skipped.</summary>
    public async Task AddAsync(string digest, ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        if (!_seen.Add(digest))
            return;
        _pack ??= new PackBuilder(store.CreateStagingPath());
        _pack.Add(digest, bytes.Span);
        if (_pack.Length >= TargetPackBytes)
            await FlushAsync(ct);
    }

    /// <summary>Stores and records the open pack, if any.</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        if (_pack is not { } pack)
            return;
        _pack = null;
        using (pack)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var digests = pack.Blobs.Select(b => b.Digest).ToList();
            var held = await HeldIntactAsync(db, digests, ct);
            var fresh = pack.Blobs.Where(b => !held.ContainsKey(b.Digest)).ToList();
            _results.AddRange(pack.Blobs.Where(b => held.ContainsKey(b.Digest)).Select(b => new BlobPutResult(b.Digest, held[b.Digest], AlreadyExisted: true)));
            if (fresh.Count == 0)
                return;

            // Blobs the portal already had are left out rather than stored twice.
            using var final = fresh.Count == pack.Blobs.Count ? null : Compact(pack, fresh);
            var written = final ?? pack;
            var (packDigest, packSize) = written.Finish();
            await store.AdoptAsync(packDigest, written.StagingPath, ct);
            await RecordAsync(db, packDigest, packSize, written.Blobs, ct);
            _results.AddRange(written.Blobs.Select(b => new BlobPutResult(b.Digest, b.Size, AlreadyExisted: false)));
        }
    }

    private PackBuilder Compact(PackBuilder pack, List<PackedBlob> keep)
    {
        var smaller = new PackBuilder(store.CreateStagingPath());
        var buffer = new byte[MaxPackedBlobBytes];
        foreach (var blob in keep)
        {
            pack.ReadBack(blob, buffer);
            smaller.Add(blob.Digest, buffer.AsSpan(0, (int)blob.Size));
        }
        return smaller;
    }

    /// <summary>Sizes of the blobs among <paramref name="digests"/> the store holds and the scrub has not found corrupt.</summary>
    private static async Task<Dictionary<string, long>> HeldIntactAsync(PortalDbContext db, List<string> digests, CancellationToken ct)
    {
        var held = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var chunk in digests.Chunk(BlobUploads.LookupChunk))
        {
            foreach (var row in await db.StoredBlobs.AsNoTracking().Where(b => chunk.Contains(b.Digest) && !b.Corrupt).Select(b => new { b.Digest, b.Size }).ToListAsync(ct))
                held[row.Digest] = row.Size;
        }
        return held;
    }

    /// <summary>
    /// The pack row and a row per blob, in one transaction. A blob recorded meanwhile by a parallel upload keeps its
    /// row (its bytes here are dead weight until the pack is rewritten); a blob marked corrupt is pointed at these bytes.
    /// </summary>
    private async Task RecordAsync(PortalDbContext db, string packDigest, long packSize, IReadOnlyList<PackedBlob> blobs, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
                {
                    db.ChangeTracker.Clear();
                    await using var transaction = await db.Database.BeginTransactionAsync(ct);
                    if (!await db.BlobPacks.AnyAsync(p => p.Digest == packDigest, ct))
                        db.BlobPacks.Add(new BlobPack { Digest = packDigest, Size = packSize, BlobCount = blobs.Count, BlobBytes = blobs.Sum(b => b.Size), CreatedAt = now });
                    var digests = blobs.Select(b => b.Digest).ToList();
                    var existing = new Dictionary<string, StoredBlob>(StringComparer.Ordinal);
                    foreach (var chunk in digests.Chunk(BlobUploads.LookupChunk))
                    {
                        foreach (var row in await db.StoredBlobs.Where(b => chunk.Contains(b.Digest)).ToListAsync(ct))
                            existing[row.Digest] = row;
                    }
                    foreach (var blob in blobs)
                    {
                        if (!existing.TryGetValue(blob.Digest, out var row))
                        {
                            db.StoredBlobs.Add(new StoredBlob { Digest = blob.Digest, Size = blob.Size, StoredAt = now, PackDigest = packDigest, PackOffset = blob.Offset });
                        }
                        else if (row.Corrupt)
                        {
                            row.Corrupt = false;
                            row.VerifiedAt = null;
                            row.PackDigest = packDigest;
                            row.PackOffset = blob.Offset;
                        }
                    }
                    await db.SaveChangesAsync(ct);
                    await transaction.CommitAsync(ct);
                });
                return;
            }
            catch (Exception ex) when (attempt < 5 && DatabaseErrors.IsWriteConflict(ex))
            {
                // A parallel upload recorded some of the same blobs: read again and record the rest.
                await Task.Delay(Random.Shared.Next(5, 20 * attempt), ct);
            }
        }
    }

    /// <summary>An unfinished pack is discarded: nothing of it was recorded.</summary>
    public void Dispose() => _pack?.Dispose();
}
