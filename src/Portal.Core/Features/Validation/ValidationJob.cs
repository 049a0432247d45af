using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Auditing;
using Portal.Core.Features.Events;
using Portal.Core.Storage;

namespace Portal.Core.Features.Validation;

/// <summary>
/// Validates one committed version (Hangfire runs it with the version id). Idempotent: the job claims the version's
/// row with a conditional update, so a second run of the same id finds it finished (or owned by a live worker) and
/// does nothing; the findings are written in one transaction together with the final state, the audit event and the
/// outbox event, and only by the run that holds the claim.
/// </summary>
public sealed class ValidationJob(IDbContextFactory<PortalDbContext> dbFactory, IBlobStore blobs, PiiScanner pii, TimeProvider clock, ILogger<ValidationJob> logger)
{
    /// <summary>A running row whose heartbeat is older than this belongs to a worker that died; another run may take it.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(2);

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Creates the queued row for a version (nothing when it has one already). Returns whether it is unfinished.</summary>
    public static async Task<bool> EnsureQueuedAsync(PortalDbContext db, Guid versionId, Guid projectId, DateTimeOffset now, CancellationToken ct)
    {
        var existing = await db.VersionValidations.AsNoTracking().Where(v => v.VersionId == versionId).Select(v => (BackgroundJobState?)v.State).SingleOrDefaultAsync(ct);
        if (existing is { } state)
            return state is BackgroundJobState.Queued or BackgroundJobState.Running;
        db.VersionValidations.Add(new VersionValidation { VersionId = versionId, ProjectId = projectId, State = BackgroundJobState.Queued, QueuedAt = now, Summary = "Waiting for a worker." });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (DatabaseErrors.IsUniqueViolation(ex))
        {
            // Queued at the same moment by another caller: one row either way.
            db.ChangeTracker.Clear();
        }

        return true;
    }

    /// <summary>
    /// Validates again: a finished result goes back to queued, a queued or running one is left to finish, a missing one is
    /// created; returns whether a job should be queued (the validation is unfinished).
    /// </summary>
    public static async Task<bool> RequeueAsync(PortalDbContext db, Guid versionId, Guid projectId, DateTimeOffset now, CancellationToken ct)
    {
        var requeued = await db.VersionValidations
            .Where(v => v.VersionId == versionId && (v.State == BackgroundJobState.Passed || v.State == BackgroundJobState.Failed))
            .ExecuteUpdateAsync(s => s.SetProperty(v => v.State, BackgroundJobState.Queued).SetProperty(v => v.QueuedAt, now)
                .SetProperty(v => v.ClaimId, (Guid?)null).SetProperty(v => v.BytesDone, 0L).SetProperty(v => v.Summary, "Waiting for a worker."), ct);
        return requeued > 0 || await EnsureQueuedAsync(db, versionId, projectId, now, ct);
    }

    public async Task ExecuteAsync(Guid versionId, CancellationToken ct)
    {
        var claim = Guid.NewGuid();
        var now = clock.GetUtcNow();
        VersionJobTarget? target;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            target = await VersionJobTarget.LoadAsync(db, versionId, ct);
            if (target is null)
                return;
            await EnsureQueuedAsync(db, versionId, target.ProjectId, now, ct);
            var stale = now - StaleAfter;
            var claimed = await db.VersionValidations
                .Where(v => v.VersionId == versionId && (v.State == BackgroundJobState.Queued || v.State == BackgroundJobState.Running && v.HeartbeatAt < stale))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(v => v.State, BackgroundJobState.Running).SetProperty(v => v.ClaimId, claim)
                    .SetProperty(v => v.StartedAt, now).SetProperty(v => v.HeartbeatAt, now).SetProperty(v => v.BytesDone, 0L)
                    .SetProperty(v => v.Attempts, v => v.Attempts + 1).SetProperty(v => v.Summary, "Validating…"), ct);
            if (claimed == 0)
                return;
        }

        using var activity = PortalTelemetry.ActivitySource.StartActivity("portal.validate_version");
        activity?.SetTag("portal.version_id", versionId.ToString());
        activity?.SetTag("portal.artifact", target.ArtifactName);
        var started = Stopwatch.GetTimestamp();
        var measured = "failed";
        var progress = new JobProgress();
        using var stopHeartbeat = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var heartbeat = HeartbeatAsync(versionId, claim, progress, stopHeartbeat.Token);
        try
        {
            var outcome = await RunAsync(target, progress, ct);
            await stopHeartbeat.CancelAsync();
            await heartbeat;
            await FinishAsync(target, claim, outcome.Rules, outcome.Result, ct);
            measured = "completed";
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            measured = "cancelled";
            await stopHeartbeat.CancelAsync();
            await heartbeat;
            // Shutting down: hand the version back so the next start (or Hangfire's retry) runs it again.
            await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            await db.VersionValidations.Where(v => v.VersionId == versionId && v.ClaimId == claim && v.State == BackgroundJobState.Running)
                .ExecuteUpdateAsync(s => s.SetProperty(v => v.State, BackgroundJobState.Queued).SetProperty(v => v.ClaimId, (Guid?)null), CancellationToken.None);
            throw;
        }
        catch (Exception ex)
        {
            await stopHeartbeat.CancelAsync();
            await heartbeat;
            logger.LogError(ex, "Validation of version {VersionId} could not run", versionId);
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            await FailAsync(target, claim, ex is PortalException p ? p.Message : "The validation could not run: " + ex.Message, ct);
        }
        finally
        {
            activity?.SetTag("portal.outcome", measured);
            PortalTelemetry.ValidationDuration.Record(PortalTelemetry.SecondsSince(started), new KeyValuePair<string, object?>("outcome", measured));
        }
    }

    private async Task<(ValidationRules Rules, ValidationOutcome Result)> RunAsync(VersionJobTarget target, JobProgress progress, CancellationToken ct)
    {
        List<ValidatedFile> files;
        ValidationRules rules;
        DataProfile? previous = null;
        Guid? previousId;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            rules = await ValidationRuleSets.ResolveAsync(db, target.ProjectId, target.ArtifactType, ct);
            files = await VersionJobTarget.FilesAsync(db, target.VersionId, ct);
            previousId = await target.PreviousVersionIdAsync(db, ct);
            if (previousId is { } p)
            {
                var stored = await db.VersionValidations.AsNoTracking().Where(v => v.VersionId == p).Select(v => v.ProfileJson).SingleOrDefaultAsync(ct);
                previous = DataProfile.FromJson(stored);
            }
        }

        if (previousId is { } prev && previous is null && CheckSeverity.Rank(rules.DriftSeverity) > 0)
            previous = await ProfileAsync(prev, rules, ct);
        var validator = new VersionValidator(rules, (f, c) => blobs.OpenReadAsync(f.Digest, verify: false, c)) { Pii = pii, Logger = logger };
        progress.Total = files.Where(f => f.Ref is null && FileFormats.Of(f.Path) != FileFormat.Opaque).Sum(f => f.Size);
        var result = await validator.ValidateAsync(files, target.MetadataJson, previous, (done, total) =>
        {
            progress.Done = done;
            progress.Total = total;
        }, ct);
        return (rules, result);
    }

    /// <summary>The data profile of another version (its text lengths and labels only), for drift when it has none stored.</summary>
    public async Task<DataProfile> ProfileAsync(Guid versionId, ValidationRules rules, CancellationToken ct)
    {
        List<ValidatedFile> files;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            files = await VersionJobTarget.FilesAsync(db, versionId, ct);
        var profileOnly = rules with
        {
            RequiredFields = [], SchemaSeverity = CheckSeverity.Off, PiiSeverity = CheckSeverity.Off, LicenseSeverity = CheckSeverity.Off,
            BoundsSeverity = CheckSeverity.Off, DuplicatesSeverity = CheckSeverity.Off, EmptyFilesSeverity = CheckSeverity.Off, DriftSeverity = CheckSeverity.Off,
        };
        var validator = new VersionValidator(profileOnly, (f, c) => blobs.OpenReadAsync(f.Digest, verify: false, c)) { Logger = logger };
        var tabular = files.Where(f => FileFormats.IsTabular(FileFormats.Of(f.Path))).ToList();
        return (await validator.ValidateAsync(tabular, "{}", null, null, ct)).Profile;
    }

    private async Task HeartbeatAsync(Guid versionId, Guid claim, JobProgress progress, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                await using var db = await dbFactory.CreateDbContextAsync(ct);
                var now = clock.GetUtcNow();
                await db.VersionValidations.Where(v => v.VersionId == versionId && v.ClaimId == claim)
                    .ExecuteUpdateAsync(s => s.SetProperty(v => v.HeartbeatAt, now).SetProperty(v => v.BytesDone, progress.Done).SetProperty(v => v.BytesTotal, progress.Total), ct);
            }
        }
        catch (OperationCanceledException)
        {
            // The job finished or stopped.
        }
    }

    private async Task FinishAsync(VersionJobTarget target, Guid claim, ValidationRules rules, ValidationOutcome outcome, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var state = outcome.Passed ? BackgroundJobState.Passed : BackgroundJobState.Failed;
        var summary = Summarise(outcome);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            // Only the run holding the claim writes a result; the update also locks the row for the rest of the transaction.
            var owned = await db.VersionValidations.Where(v => v.VersionId == target.VersionId && v.ClaimId == claim && v.State == BackgroundJobState.Running)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(v => v.State, state).SetProperty(v => v.FinishedAt, now).SetProperty(v => v.HeartbeatAt, now)
                    .SetProperty(v => v.BytesDone, outcome.BytesScanned).SetProperty(v => v.BytesTotal, outcome.BytesScanned)
                    .SetProperty(v => v.FilesScanned, outcome.FilesScanned).SetProperty(v => v.RowsScanned, outcome.RowsScanned)
                    .SetProperty(v => v.Errors, outcome.Count(CheckSeverity.Error)).SetProperty(v => v.Warnings, outcome.Count(CheckSeverity.Warning))
                    .SetProperty(v => v.Infos, outcome.Count(CheckSeverity.Info)).SetProperty(v => v.Summary, summary)
                    .SetProperty(v => v.RulesJson, JsonSerializer.Serialize(rules, Json))
                    .SetProperty(v => v.ProfileJson, JsonSerializer.Serialize(outcome.Profile, Json))
                    .SetProperty(v => v.DriftJson, JsonSerializer.Serialize(outcome.Drift, Json)), ct);
            if (owned == 0)
            {
                await transaction.RollbackAsync(ct);
                return;
            }

            await db.ValidationFindings.Where(f => f.VersionId == target.VersionId).ExecuteDeleteAsync(ct);
            var ordinal = 0;
            foreach (var f in outcome.Findings)
            {
                db.ValidationFindings.Add(new ValidationFinding
                {
                    VersionId = target.VersionId, Check = f.Check, Code = StoredText.ForColumn(f.Code, 200), Severity = f.Severity, Message = StoredText.ForColumn(f.Message, 2000),
                    Path = f.Path, Count = f.Count, LocationsJson = JsonSerializer.Serialize(f.Locations, Json), Ordinal = ordinal++,
                });
            }

            var payload = new { versionId = target.VersionId, artifact = target.ArtifactName, state = JobStateName(state), errors = outcome.Count(CheckSeverity.Error), warnings = outcome.Count(CheckSeverity.Warning) };
            db.Record(now, null, target.ProjectId, "version_validation.finished", "artifact_version", target.VersionId.ToString(), after: payload);
            db.Raise(target.ProjectId, PortalEventTypes.ValidationFinished, payload, now);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        });
    }

    private async Task FailAsync(VersionJobTarget target, Guid claim, string reason, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.VersionValidations.Where(v => v.VersionId == target.VersionId && v.ClaimId == claim && v.State == BackgroundJobState.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(v => v.State, BackgroundJobState.Failed).SetProperty(v => v.FinishedAt, now)
                .SetProperty(v => v.Errors, 1).SetProperty(v => v.Summary, StoredText.ForColumn(reason, 1000)), ct);
    }

    internal static string Summarise(ValidationOutcome outcome)
    {
        var errors = outcome.Count(CheckSeverity.Error);
        var warnings = outcome.Count(CheckSeverity.Warning);
        var head = errors > 0 ? $"Failed: {errors} error{(errors == 1 ? "" : "s")}" : "Passed";
        return $"{head}, {warnings} warning{(warnings == 1 ? "" : "s")} · {outcome.FilesScanned:N0} files and {outcome.RowsScanned:N0} rows read";
    }

    public static string JobStateName(BackgroundJobState state) => state switch
    {
        BackgroundJobState.Queued => JobStates.Queued,
        BackgroundJobState.Running => JobStates.Running,
        BackgroundJobState.Passed => JobStates.Passed,
        _ => JobStates.Failed,
    };
}

/// <summary>Bytes done of bytes total, written by the job and read by its heartbeat.</summary>
internal sealed class JobProgress
{
    private long _done;
    private long _total;

    public long Done
    {
        get => Interlocked.Read(ref _done);
        set => Interlocked.Exchange(ref _done, value);
    }

    public long Total
    {
        get => Interlocked.Read(ref _total);
        set => Interlocked.Exchange(ref _total, value);
    }
}

/// <summary>What a version job needs to know about its version.</summary>
public sealed record VersionJobTarget(Guid VersionId, Guid ProjectId, Guid ArtifactId, string ArtifactName, string ArtifactType, int Index, string MetadataJson)
{
    public static async Task<VersionJobTarget?> LoadAsync(PortalDbContext db, Guid versionId, CancellationToken ct) =>
        await db.ArtifactVersions.AsNoTracking()
            .Where(v => v.Id == versionId && v.State == VersionState.Committed)
            .Select(v => new VersionJobTarget(v.Id, v.Artifact.ProjectId, v.ArtifactId, v.Artifact.Name, v.Artifact.Type, v.Index ?? 0, v.MetadataJson))
            .SingleOrDefaultAsync(ct);

    public Task<Guid?> PreviousVersionIdAsync(PortalDbContext db, CancellationToken ct) =>
        db.ArtifactVersions.AsNoTracking()
            .Where(v => v.ArtifactId == ArtifactId && v.State == VersionState.Committed && v.Index < Index)
            .OrderByDescending(v => v.Index).Select(v => (Guid?)v.Id).FirstOrDefaultAsync(ct);

    public static async Task<List<ValidatedFile>> FilesAsync(PortalDbContext db, Guid versionId, CancellationToken ct)
    {
        var ranges = await VersionManifest.LoadRangesAsync(db, versionId, ct);
        var files = new List<ValidatedFile>();
        await foreach (var e in VersionManifest.ReadAllAsync(db, ranges, ct))
            files.Add(new ValidatedFile(e.Path, e.Digest, e.Size, e.Ref));
        return files;
    }
}
