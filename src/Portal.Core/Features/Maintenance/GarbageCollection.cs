using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Artifacts.Packs;
using Portal.Core.Storage;

namespace Portal.Core.Features.Maintenance;

/// <summary>
/// Frees what no version needs any more, in three set-based steps: the manifests of removed (<c>Deleted</c>) and
/// aborted (<c>Failed</c>, after the grace period) versions and the ranges only they used; then blobs that no manifest
/// range names, once they have been unreferenced and stored for longer than the grace period; and the temp files of
/// uploads that never finished.
/// </summary>
/// <remarks>
/// A blob counts as referenced while any range entry names it (<see cref="BlobRangeIndex"/>). Ranges are written before their version row, so an
/// upload in progress already references its blobs, and pending versions keep theirs. The race with an upload that
/// starts using an old unreferenced blob is closed in three places: (1) the row is deleted only by a statement that
/// re-checks "still unreferenced" in the same transaction; (2) after that commits, the digests are checked again and
/// any that a manifest names by now get their row back and keep their file — a commit checks rows, so one that ran
/// in between either saw the row and is covered by this re-check, or saw no row and asked for the upload; (3) after
/// the files are deleted, a row that a concurrent upload recorded for a file it found just before the delete is
/// removed again, so the portal asks for the bytes instead of believing it holds them.
/// </remarks>
public sealed class GarbageCollection(
    IDbContextFactory<PortalDbContext> dbFactory,
    IBlobStore store,
    BlobRangeIndexer indexer,
    PackCompaction compaction,
    IOptions<MaintenanceOptions> options,
    TimeProvider clock,
    ILogger<GarbageCollection> logger) : IMaintenanceJob
{
    public string Name => MaintenanceJobNames.GarbageCollection;

    public async Task ExecuteAsync(MaintenanceReport report, CancellationToken ct)
    {
        var o = options.Value;
        var now = clock.GetUtcNow();
        var cutoff = now - o.GarbageGracePeriod;
        report.Details["gracePeriodDays"] = o.GarbageGracePeriod.TotalDays;
        report.Details["tempFilesDeleted"] = await store.CleanupTempFilesAsync(o.TempFileAge, ct);
        var (manifests, ranges) = await ReleaseManifestsAsync(cutoff, o.GarbageBatchSize, ct);
        report.Details["manifestsReleased"] = manifests;
        report.Details["rangesDeleted"] = ranges;
        // Whether a blob is named is read from the blob→range index plus the entries of ranges not indexed yet;
        // indexing the backlog first keeps that second part small for the set-based statements below.
        report.Details["rangesIndexed"] = await indexer.DrainAsync(ct);

        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            report.Details["blobsNowUnreferenced"] = await db.StoredBlobs
                .Where(b => b.UnreferencedSince == null)
                .WhereNotNamed(db)
                .ExecuteUpdateAsync(s => s.SetProperty(b => b.UnreferencedSince, now), ct);
            report.Details["blobsReferencedAgain"] = await db.StoredBlobs
                .Where(b => b.UnreferencedSince != null)
                .WhereNamed(db)
                .ExecuteUpdateAsync(s => s.SetProperty(b => b.UnreferencedSince, (DateTimeOffset?)null), ct);
        }

        long bytes = 0;
        var restored = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var candidates = await Collectable(db, cutoff)
                .OrderBy(b => b.Digest)
                .Take(o.GarbageBatchSize)
                .ToListAsync(ct);
            candidates.RemoveAll(b => !seen.Add(b.Digest));
            if (candidates.Count == 0)
                break;
            report.Examined += candidates.Count;
            var digests = candidates.Select(b => b.Digest).ToList();

            // (1) Delete the rows that are still collectable, re-checked by the delete statement itself.
            var deleted = await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
            {
                await using var transaction = await db.Database.BeginTransactionAsync(ct);
                var rows = await Collectable(db, cutoff).Where(b => digests.Contains(b.Digest)).Select(b => b.Digest).ToListAsync(ct);
                await Collectable(db, cutoff).Where(b => rows.Contains(b.Digest)).ExecuteDeleteAsync(ct);
                await transaction.CommitAsync(ct);
                return rows;
            });

            // (2) Named by a manifest since the statement ran: the blob stays.
            var raced = await BlobRangeIndex.NamedAmongAsync(db, deleted, ct);
            if (raced.Count > 0)
            {
                var stillThere = await db.StoredBlobs.AsNoTracking().Where(b => raced.Contains(b.Digest)).Select(b => b.Digest).ToListAsync(ct);
                foreach (var blob in candidates.Where(b => raced.Contains(b.Digest) && !stillThere.Contains(b.Digest)))
                    db.StoredBlobs.Add(new StoredBlob { Digest = blob.Digest, Size = blob.Size, StoredAt = blob.StoredAt, VerifiedAt = blob.VerifiedAt, Corrupt = blob.Corrupt, PackDigest = blob.PackDigest, PackOffset = blob.PackOffset });
                await db.SaveChangesAsync(ct);
                restored += raced.Count;
                logger.LogInformation("Garbage collection kept {Count} blobs that a new manifest started to use", raced.Count);
            }

            var doomed = candidates.Where(b => deleted.Contains(b.Digest) && !raced.Contains(b.Digest)).ToList();
            foreach (var blob in doomed)
            {
                if (await store.DeleteAsync(blob.Digest, ct))
                    bytes += blob.Size;
                report.Affected++;
                report.List("deleted", new { digest = blob.Digest, size = blob.Size });
            }

            // (3) A row recorded again by an upload that found the file just before it was deleted.
            var doomedDigests = doomed.Select(b => b.Digest).ToList();
            foreach (var digest in await db.StoredBlobs.AsNoTracking().Where(b => doomedDigests.Contains(b.Digest)).Select(b => b.Digest).ToListAsync(ct))
            {
                if (!await store.ExistsAsync(digest, ct))
                    await db.StoredBlobs.Where(b => b.Digest == digest).ExecuteDeleteAsync(ct);
            }

            // (4) Who held the deleted blobs: whoever wants them again proves possession by uploading them again.
            await db.ProjectBlobs.Where(p => doomedDigests.Contains(p.Digest) && !db.StoredBlobs.Any(b => b.Digest == p.Digest)).ExecuteDeleteAsync(ct);
            await db.UserBlobs.Where(u => doomedDigests.Contains(u.Digest) && !db.StoredBlobs.Any(b => b.Digest == u.Digest)).ExecuteDeleteAsync(ct);
        }
        report.Details["bytesFreed"] = bytes;
        report.Details["blobsKeptAfterRace"] = restored;

        // Deleted packed blobs left their bytes in their packs: rewrite the packs that are mostly dead.
        var packs = await compaction.RunAsync(o.PackRewriteBelowLiveShare, o.PackRetireDelay, o.PackRewriteMaxBytesPerRun, ct);
        report.Details["packsRewritten"] = packs.PacksRewritten;
        report.Details["packedBlobsMoved"] = packs.BlobsMoved;
        report.Details["packedBlobsFoundCorrupt"] = packs.BlobsFoundCorrupt;
        report.Details["packsDeleted"] = packs.PacksDeleted;
        report.Details["packBytesFreed"] = packs.BytesFreed;
    }

    private static IQueryable<StoredBlob> Collectable(PortalDbContext db, DateTimeOffset cutoff) =>
        db.StoredBlobs.Where(b => b.UnreferencedSince != null && b.UnreferencedSince < cutoff && b.StoredAt < cutoff).WhereNotNamed(db);

    /// <summary>
    /// Drops the version→range links of removed versions and of aborted ones past the grace period, then the ranges
    /// (and their entries) that no version uses any more.
    /// </summary>
    private async Task<(int Manifests, int Ranges)> ReleaseManifestsAsync(DateTimeOffset cutoff, int batchSize, CancellationToken ct)
    {
        var manifests = 0;
        var ranges = 0;
        while (true)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var versionIds = await db.ArtifactVersions.AsNoTracking()
                .Where(v => v.State == VersionState.Deleted || (v.State == VersionState.Failed && v.CreatedAt < cutoff))
                .Where(v => db.VersionRanges.Any(vr => vr.VersionId == v.Id))
                .Select(v => v.Id)
                .Take(batchSize)
                .ToListAsync(ct);
            if (versionIds.Count == 0)
                break;
            ranges += await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
            {
                var deletedRanges = 0;
                await using var transaction = await db.Database.BeginTransactionAsync(ct);
                var rangeDigests = await db.VersionRanges.Where(vr => versionIds.Contains(vr.VersionId)).Select(vr => vr.RangeDigest).Distinct().ToListAsync(ct);
                await db.VersionRanges.Where(vr => versionIds.Contains(vr.VersionId)).ExecuteDeleteAsync(ct);
                foreach (var chunk in rangeDigests.Chunk(batchSize))
                {
                    // Entries and index rows first, so this does not depend on the database cascading the delete.
                    await db.RangeEntries.Where(e => chunk.Contains(e.RangeDigest) && !db.VersionRanges.Any(vr => vr.RangeDigest == e.RangeDigest)).ExecuteDeleteAsync(ct);
                    await db.BlobRanges.Where(b => chunk.Contains(b.RangeDigest) && !db.VersionRanges.Any(vr => vr.RangeDigest == b.RangeDigest)).ExecuteDeleteAsync(ct);
                    await db.UnindexedRanges.Where(u => chunk.Contains(u.RangeDigest) && !db.VersionRanges.Any(vr => vr.RangeDigest == u.RangeDigest)).ExecuteDeleteAsync(ct);
                    deletedRanges += await db.ManifestRanges.Where(r => chunk.Contains(r.Digest) && !db.VersionRanges.Any(vr => vr.RangeDigest == r.Digest)).ExecuteDeleteAsync(ct);
                }
                await transaction.CommitAsync(ct);
                return deletedRanges;
            });
            manifests += versionIds.Count;
        }
        return (manifests, ranges);
    }
}
