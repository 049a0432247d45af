using Hangfire;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Compare;
using Portal.Core.Features.Validation;

namespace Portal.Core.Jobs;

/// <summary>
/// Every committed version gets a validation and, when it has a predecessor, a compare report against it: the rows
/// that say so are written first (the database is the truth), then the jobs are queued.
/// </summary>
public sealed class VersionJobsObserver(IDbContextFactory<PortalDbContext> dbFactory, IBackgroundJobClient jobs, TimeProvider clock) : IVersionCommitObserver
{
    public async Task OnCommittedAsync(CommittedVersion version, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        if (await ValidationJob.EnsureQueuedAsync(db, version.VersionId, version.ProjectId, now, ct))
            jobs.Enqueue<ValidationJob>(j => j.ExecuteAsync(version.VersionId, CancellationToken.None));
        if (version.PreviousVersionId is { } previous)
        {
            var (reportId, unfinished) = await CompareReportJob.EnsureQueuedAsync(db, version.ProjectId, previous, version.VersionId, "", now, ct);
            if (unfinished)
                jobs.Enqueue<CompareReportJob>(j => j.ExecuteAsync(reportId, CancellationToken.None));
        }
    }
}

/// <summary>
/// Start-up reconciliation for job storage that forgets (in-memory with SQLite): work the database says is unfinished
/// is queued again — validations and reports that are queued or were running when the process stopped, and committed
/// versions that never got a validation row.
/// </summary>
public sealed class VersionJobsReconciliation(IDbContextFactory<PortalDbContext> dbFactory, IBackgroundJobClient jobs)
{
    public async Task<int> RequeueUnfinishedAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Nothing runs before start-up finishes, so a running row is an orphan of the previous process.
        await db.VersionValidations.Where(v => v.State == BackgroundJobState.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(v => v.State, BackgroundJobState.Queued).SetProperty(v => v.ClaimId, (Guid?)null), ct);
        await db.CompareReports.Where(r => r.State == BackgroundJobState.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.State, BackgroundJobState.Queued).SetProperty(r => r.ClaimId, (Guid?)null), ct);

        var validations = await db.VersionValidations.AsNoTracking().Where(v => v.State == BackgroundJobState.Queued).Select(v => v.VersionId).ToListAsync(ct);
        var missing = await db.ArtifactVersions.AsNoTracking()
            .Where(v => v.State == VersionState.Committed && !db.VersionValidations.Any(x => x.VersionId == v.Id))
            .Select(v => v.Id).ToListAsync(ct);
        var reports = await db.CompareReports.AsNoTracking().Where(r => r.State == BackgroundJobState.Queued).Select(r => r.Id).ToListAsync(ct);
        foreach (var id in validations.Concat(missing))
            jobs.Enqueue<ValidationJob>(j => j.ExecuteAsync(id, CancellationToken.None));
        foreach (var id in reports)
            jobs.Enqueue<CompareReportJob>(j => j.ExecuteAsync(id, CancellationToken.None));
        return validations.Count + missing.Count + reports.Count;
    }
}
