using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Auditing;
using Portal.Core.Storage;

namespace Portal.Core.Features.Maintenance;

/// <summary>
/// Re-hashes stored blobs, oldest-verified first, a bounded amount per run (blob count, bytes, optional read rate), so
/// a large store is covered over several runs and a run that stops half-way loses nothing: each blob's result is
/// saved as soon as it is known. A blob whose bytes no longer match its name, or that is gone, is marked
/// <see cref="StoredBlob.Corrupt"/> (uploads then count it as missing) and every pending or committed version whose
/// manifest names it gets a <see cref="VersionIntegrityFlag"/> and an audit event — once, however often it is seen.
/// Downloads of such a blob already refuse with <c>digest_mismatch</c> because they verify while streaming.
/// </summary>
public sealed class BlobIntegrityScrub(
    IDbContextFactory<PortalDbContext> dbFactory,
    IBlobStore store,
    IOptions<MaintenanceOptions> options,
    TimeProvider clock,
    ILogger<BlobIntegrityScrub> logger) : IMaintenanceJob
{
    private const int PageSize = 500;

    public string Name => MaintenanceJobNames.IntegrityScrub;

    public async Task ExecuteAsync(MaintenanceReport report, CancellationToken ct)
    {
        var o = options.Value;
        var reverifyBefore = clock.GetUtcNow() - o.ScrubReverifyAfter;
        long bytes = 0;
        var started = Stopwatch.StartNew();
        var done = new HashSet<string>(StringComparer.Ordinal);
        while (report.Examined < o.ScrubMaxBlobsPerRun && bytes < o.ScrubMaxBytesPerRun)
        {
            List<StoredBlob> page;
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
            {
                page = await db.StoredBlobs.AsNoTracking()
                    .Where(b => b.VerifiedAt == null || b.VerifiedAt < reverifyBefore)
                    // Never verified first, then the longest ago.
                    .OrderBy(b => b.VerifiedAt != null).ThenBy(b => b.VerifiedAt).ThenBy(b => b.Digest)
                    .Take(PageSize)
                    .ToListAsync(ct);
            }
            page.RemoveAll(b => !done.Add(b.Digest));
            if (page.Count == 0)
                break;
            foreach (var blob in page)
            {
                if (report.Examined >= o.ScrubMaxBlobsPerRun || bytes >= o.ScrubMaxBytesPerRun)
                    break;
                report.Examined++;
                var intact = await store.VerifyAsync(blob.Digest, ct);
                bytes += blob.Size;
                if (intact)
                    await RecordIntactAsync(blob.Digest, report, ct);
                else
                    await RecordProblemAsync(blob.Digest, await store.ExistsAsync(blob.Digest, ct) ? IntegrityProblem.Corrupt : IntegrityProblem.Missing, report, ct);
                await ThrottleAsync(bytes, started.Elapsed, o.ScrubBytesPerSecond, ct);
            }
        }
        report.Details["bytesHashed"] = bytes;
        report.Details["seconds"] = Math.Round(started.Elapsed.TotalSeconds, 1);
    }

    /// <summary>Waits until <paramref name="bytes"/> at <paramref name="bytesPerSecond"/> would have taken <paramref name="elapsed"/>.</summary>
    private static Task ThrottleAsync(long bytes, TimeSpan elapsed, long bytesPerSecond, CancellationToken ct)
    {
        if (bytesPerSecond <= 0)
            return Task.CompletedTask;
        var due = TimeSpan.FromSeconds((double)bytes / bytesPerSecond) - elapsed;
        return due > TimeSpan.Zero ? Task.Delay(due, ct) : Task.CompletedTask;
    }

    private async Task RecordIntactAsync(string digest, MaintenanceReport report, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var blob = await db.StoredBlobs.SingleOrDefaultAsync(b => b.Digest == digest, ct);
        if (blob is null)
            return;
        blob.VerifiedAt = clock.GetUtcNow();
        if (blob.Corrupt)
        {
            // The bytes were put back (restored from a backup): the blob and its versions are whole again.
            blob.Corrupt = false;
            var cleared = await db.VersionIntegrityFlags.Where(f => f.Digest == digest).ExecuteDeleteAsync(ct);
            report.List("repaired", new { digest, versionsCleared = cleared });
            logger.LogInformation("Blob sha256:{Digest} verifies again; {Count} version flags cleared", digest, cleared);
        }
        await db.SaveChangesAsync(ct);
    }

    private async Task RecordProblemAsync(string digest, IntegrityProblem problem, MaintenanceReport report, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var now = clock.GetUtcNow();
            var blob = await db.StoredBlobs.SingleOrDefaultAsync(b => b.Digest == digest, ct);
            if (blob is null)
                return;
            blob.Corrupt = true;
            blob.VerifiedAt = now;

            // Set-based reverse look-up: digest → range entries → ranges → versions (as ContainingVersions does).
            var holders = await (
                    from e in BlobRangeIndex.EntriesNaming(db, digest)
                    where e.Ref == null
                    join vr in db.VersionRanges on e.RangeDigest equals vr.RangeDigest
                    join v in db.ArtifactVersions on vr.VersionId equals v.Id
                    where v.State == VersionState.Committed || v.State == VersionState.Pending
                    select new { VersionId = v.Id, e.Path, v.Artifact.ProjectId, ArtifactName = v.Artifact.Name, v.Index })
                .ToListAsync(ct);
            var flagged = await db.VersionIntegrityFlags.Where(f => f.Digest == digest).Select(f => f.VersionId).ToListAsync(ct);
            var added = 0;
            foreach (var h in holders.GroupBy(h => h.VersionId).Select(g => g.OrderBy(x => x.Path, StringComparer.Ordinal).First()).Where(h => !flagged.Contains(h.VersionId)))
            {
                db.VersionIntegrityFlags.Add(new VersionIntegrityFlag
                {
                    VersionId = h.VersionId, Digest = digest, Path = h.Path, Problem = problem, DetectedAt = now, RunId = report.RunId,
                });
                db.Record(now, null, h.ProjectId, "artifact_version.integrity_flagged", "artifact_version", h.VersionId.ToString(),
                    after: new { artifact = h.ArtifactName, version = h.Index is { } i ? ArtifactNames.FormatIndex(i) : "pending", h.Path, digest, problem = problem.ToString().ToLowerInvariant() });
                added++;
            }
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            report.Affected += added;
            report.List("problems", new { digest, problem = problem.ToString().ToLowerInvariant(), versions = holders.Select(h => h.VersionId).Distinct().Count(), newlyFlagged = added });
            logger.LogWarning("Blob sha256:{Digest} is {Problem}; {Count} versions newly flagged", digest, problem, added);
        });
    }
}
