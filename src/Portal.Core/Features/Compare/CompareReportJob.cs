using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Auditing;
using Portal.Core.Features.Events;
using Portal.Core.Features.Validation;
using Portal.Core.Storage;

namespace Portal.Core.Features.Compare;

/// <summary>The stored body of a finished report.</summary>
public sealed record CompareReportBody(
    VersionDiffSummary Files,
    IReadOnlyList<VersionDiffItem> FileChanges,
    bool FileChangesTruncated,
    IReadOnlyList<FileRowDiff> Rows,
    VersionStatistics FromStatistics,
    VersionStatistics ToStatistics,
    IReadOnlyList<DriftRow> Drift);

/// <summary>
/// Builds one compare report (Hangfire runs it with the report id): file changes from <see cref="VersionDiff"/>, row
/// changes of every modified CSV/JSONL file, statistics and the drift table. Idempotent like <see cref="ValidationJob"/>:
/// the report row is claimed by a conditional update and only the claiming run writes the result.
/// </summary>
public sealed class CompareReportJob(IDbContextFactory<PortalDbContext> dbFactory, IBlobStore blobs, ValidationJob validation, TimeProvider clock, ILogger<CompareReportJob> logger)
{
    public const int MaxFileChanges = 1000;
    public const int MaxRowDiffFiles = 50;

    /// <summary>The report row for the pair (created queued when missing); returns its id and whether it is unfinished.</summary>
    public static async Task<(Guid Id, bool Unfinished)> EnsureQueuedAsync(PortalDbContext db, Guid projectId, Guid from, Guid to, string keyColumn, DateTimeOffset now, CancellationToken ct)
    {
        var existing = await db.CompareReports.AsNoTracking().Where(r => r.FromVersionId == from && r.ToVersionId == to && r.KeyColumn == keyColumn)
            .Select(r => new { r.Id, r.State }).SingleOrDefaultAsync(ct);
        if (existing is not null)
            return (existing.Id, existing.State is BackgroundJobState.Queued or BackgroundJobState.Running);
        var report = new CompareReport
        {
            Id = Guid.NewGuid(), ProjectId = projectId, FromVersionId = from, ToVersionId = to, KeyColumn = keyColumn,
            State = BackgroundJobState.Queued, QueuedAt = now, Summary = "Waiting for a worker.",
        };
        db.CompareReports.Add(report);
        try
        {
            await db.SaveChangesAsync(ct);
            return (report.Id, true);
        }
        catch (DbUpdateException ex) when (DatabaseErrors.IsUniqueViolation(ex))
        {
            db.ChangeTracker.Clear();
            var winner = await db.CompareReports.AsNoTracking().SingleAsync(r => r.FromVersionId == from && r.ToVersionId == to && r.KeyColumn == keyColumn, ct);
            return (winner.Id, winner.State is BackgroundJobState.Queued or BackgroundJobState.Running);
        }
    }

    public async Task ExecuteAsync(Guid reportId, CancellationToken ct)
    {
        var claim = Guid.NewGuid();
        var now = clock.GetUtcNow();
        CompareReport? report;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var stale = now - ValidationJob.StaleAfter;
            var claimed = await db.CompareReports
                .Where(r => r.Id == reportId && (r.State == BackgroundJobState.Queued || r.State == BackgroundJobState.Running && r.HeartbeatAt < stale))
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.State, BackgroundJobState.Running).SetProperty(r => r.ClaimId, claim)
                    .SetProperty(r => r.StartedAt, now).SetProperty(r => r.HeartbeatAt, now).SetProperty(r => r.Progress, 0.0)
                    .SetProperty(r => r.Attempts, r => r.Attempts + 1).SetProperty(r => r.Summary, "Comparing…"), ct);
            if (claimed == 0)
                return;
            report = await db.CompareReports.AsNoTracking().SingleAsync(r => r.Id == reportId, ct);
        }

        try
        {
            var body = await BuildAsync(report, claim, ct);
            await FinishAsync(report, claim, body, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            await db.CompareReports.Where(r => r.Id == reportId && r.ClaimId == claim && r.State == BackgroundJobState.Running)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.State, BackgroundJobState.Queued).SetProperty(r => r.ClaimId, (Guid?)null), CancellationToken.None);
            throw;
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Compare report {ReportId} could not be built", reportId);
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var reason = "The report could not be built: " + ex.Message;
            await db.CompareReports.Where(r => r.Id == reportId && r.ClaimId == claim && r.State == BackgroundJobState.Running)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.State, BackgroundJobState.Failed).SetProperty(r => r.FinishedAt, clock.GetUtcNow())
                    .SetProperty(r => r.Summary, reason.Length > 1000 ? reason[..1000] : reason), ct);
        }
    }

    private async Task<CompareReportBody> BuildAsync(CompareReport report, Guid claim, CancellationToken ct)
    {
        List<VersionDiffItem> changes;
        VersionDiffSummary summary;
        VersionJobTarget from, to;
        ValidationRules rules;
        Dictionary<Guid, DataProfile?> stored;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            from = await VersionJobTarget.LoadAsync(db, report.FromVersionId, ct) ?? throw PortalException.NotFound(Client.ErrorCodes.VersionNotFound, "The older version is gone.");
            to = await VersionJobTarget.LoadAsync(db, report.ToVersionId, ct) ?? throw PortalException.NotFound(Client.ErrorCodes.VersionNotFound, "The newer version is gone.");
            (changes, summary) = await VersionDiff.ComputeAsync(db, report.FromVersionId, report.ToVersionId, ct);
            rules = await ValidationRuleSets.ResolveAsync(db, to.ProjectId, to.ArtifactType, ct);
            stored = (await db.VersionValidations.AsNoTracking()
                    .Where(v => (v.VersionId == from.VersionId || v.VersionId == to.VersionId) && v.ProfileJson != null)
                    .Select(v => new { v.VersionId, v.ProfileJson }).ToListAsync(ct))
                .ToDictionary(v => v.VersionId, v => DataProfile.FromJson(v.ProfileJson));
        }

        var tabular = changes.Where(c => c.Change == DiffChange.Modified && FileFormats.IsTabular(FileFormats.Of(c.Path))).Take(MaxRowDiffFiles).ToList();
        var steps = tabular.Count + 2.0;
        var rows = new List<FileRowDiff>();
        var key = report.KeyColumn.Length == 0 ? null : report.KeyColumn;
        for (var i = 0; i < tabular.Count; i++)
        {
            var change = tabular[i];
            var engine = new RowDiffEngine(c => blobs.OpenReadAsync(change.OldDigest!, false, c), c => blobs.OpenReadAsync(change.NewDigest!, false, c), change.OldPath ?? change.Path, change.Path);
            rows.Add((await engine.RunAsync(key, ct)).Diff);
            await ProgressAsync(report.Id, claim, (i + 1) / steps, ct);
        }

        var fromProfile = stored.GetValueOrDefault(from.VersionId) ?? await validation.ProfileAsync(from.VersionId, rules, ct);
        await ProgressAsync(report.Id, claim, (tabular.Count + 1) / steps, ct);
        var toProfile = stored.GetValueOrDefault(to.VersionId) ?? await validation.ProfileAsync(to.VersionId, rules, ct);
        List<ValidatedFile> fromFiles, toFiles;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            fromFiles = await VersionJobTarget.FilesAsync(db, from.VersionId, ct);
            toFiles = await VersionJobTarget.FilesAsync(db, to.VersionId, ct);
        }

        return new CompareReportBody(summary, changes.Take(MaxFileChanges).ToList(), changes.Count > MaxFileChanges, rows,
            Statistics(fromFiles, fromProfile), Statistics(toFiles, toProfile), Drift.Compare(fromProfile, toProfile, rules));
    }

    private static VersionStatistics Statistics(List<ValidatedFile> files, DataProfile profile) =>
        new(files.Count, files.Sum(f => f.Size), files.Count(f => FileFormats.IsTabular(FileFormats.Of(f.Path))), profile.Rows,
            Math.Round(profile.MeanTextLength, 1), profile.Labels.Count);

    private async Task ProgressAsync(Guid reportId, Guid claim, double progress, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        await db.CompareReports.Where(r => r.Id == reportId && r.ClaimId == claim)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Progress, progress).SetProperty(r => r.HeartbeatAt, now), ct);
    }

    private async Task FinishAsync(CompareReport report, Guid claim, CompareReportBody body, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var drifted = body.Drift.Count(d => d.Status == "drift");
        var rowChanges = body.Rows.Sum(r => r.Added + r.Removed + r.Modified);
        var summary = $"{body.Files.Added} added, {body.Files.Removed} removed, {body.Files.Modified} modified, {body.Files.Renamed} renamed files"
                      + (body.Rows.Count > 0 ? $" · {rowChanges:N0} row changes in {body.Rows.Count} tabular files" : "")
                      + (body.Drift.Count > 0 ? $" · {(drifted == 0 ? "no drift" : $"drift in {drifted} of {body.Drift.Count} distributions")}" : "");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var owned = await db.CompareReports.Where(r => r.Id == report.Id && r.ClaimId == claim && r.State == BackgroundJobState.Running)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.State, BackgroundJobState.Passed).SetProperty(r => r.FinishedAt, now)
                    .SetProperty(r => r.Progress, 1.0).SetProperty(r => r.Summary, summary)
                    .SetProperty(r => r.ReportJson, JsonSerializer.Serialize(body, ValidationJob.Json)), ct);
            if (owned == 0)
            {
                await transaction.RollbackAsync(ct);
                return;
            }

            var payload = new { reportId = report.Id, fromVersionId = report.FromVersionId, toVersionId = report.ToVersionId, summary };
            db.Record(now, null, report.ProjectId, "compare_report.finished", "compare_report", report.Id.ToString(), after: payload);
            db.Raise(report.ProjectId, PortalEventTypes.CompareReportFinished, payload, now);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        });
    }
}
