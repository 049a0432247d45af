using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Auditing;
using Portal.Core.Features.Lineage;
using Portal.Core.Features.Promotions;

namespace Portal.Core.Features.Artifacts;

/// <summary>
/// Step 3 of the upload protocol: a pending version whose blobs are all stored becomes <c>vN</c> and <c>latest</c>
/// in one transaction; or it is aborted.
/// </summary>
/// <remarks>
/// Commits to one artifact are serialised by locking the artifact row first (a no-op UPDATE), so indexes are
/// consecutive and the "same content as latest?" check sees the previous commit. <see cref="Artifact.NextVersionIndex"/>
/// is also a concurrency token, and the unique (artifact, index) key backs both; a lost race is retried from the start.
/// </remarks>
public sealed class CommitVersion(
    IDbContextFactory<PortalDbContext> dbFactory,
    ProjectAccess access,
    TimeProvider clock,
    IEnumerable<IVersionCommitObserver> observers,
    ILogger<CommitVersion> logger)
{
    /// <summary>How many missing digests a <c>blobs_missing</c> answer lists.</summary>
    public const int MissingListed = 100;

    private const int MaxAttempts = 8;

    public async Task<CommitVersionResponse> CommitAsync(ClaimsPrincipal user, string slug, string name, Guid versionId, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Contributor, ct);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var (response, committed) = await TryCommitAsync(grant, name, versionId, ct);
                if (committed is not null)
                    await NotifyAsync(committed, ct);
                return response;
            }
            catch (Exception ex) when (attempt < MaxAttempts && DatabaseErrors.IsWriteConflict(ex))
            {
                // Jittered back-off so that parallel committers do not collide again in lock-step.
                await Task.Delay(Random.Shared.Next(5, 20 * attempt), ct);
            }
        }
    }

    /// <summary>Marks a pending version <see cref="VersionState.Failed"/>; it never becomes visible.</summary>
    public async Task AbortAsync(ClaimsPrincipal user, string slug, string name, Guid versionId, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Contributor, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            // The same lock a commit takes first: an abort and a commit of one version cannot both succeed.
            var artifact = await LockArtifactAsync(db, grant, name, ct);
            var version = await db.ArtifactVersions.SingleOrDefaultAsync(v => v.Id == versionId && v.ArtifactId == artifact.Id, ct)
                ?? throw VersionNotFound(name, versionId);
            if (version.State != VersionState.Pending)
                throw NotPending(version);
            version.State = VersionState.Failed;
            db.Record(clock.GetUtcNow(), grant.UserId, grant.Project.Id, "artifact_version.aborted", "artifact_version", version.Id.ToString(), after: new { artifact = name });
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        });
    }

    /// <summary>
    /// Takes the artifact row's write lock (a no-op UPDATE). Every writer of an artifact's versions and aliases takes
    /// it first, before the audit chain's lock, so they queue in one order and cannot deadlock.
    /// </summary>
    internal static async Task<Artifact> LockArtifactAsync(PortalDbContext db, ProjectAccessGrant grant, string name, CancellationToken ct)
    {
        var artifact = await ArtifactCatalog.FindAsync(db, grant, name, ct);
        await LockArtifactRowAsync(db, artifact.Id, ct);
        return artifact;
    }

    internal static Task LockArtifactRowAsync(PortalDbContext db, Guid artifactId, CancellationToken ct) =>
        db.Artifacts.Where(a => a.Id == artifactId)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.NextVersionIndex, a => a.NextVersionIndex), ct);

    private async Task<(CommitVersionResponse Response, CommittedVersion? Committed)> TryCommitAsync(ProjectAccessGrant grant, string name, Guid versionId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Database.CreateExecutionStrategy().ExecuteAsync<(CommitVersionResponse, CommittedVersion?)>(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var artifactId = (await LockArtifactAsync(db, grant, name, ct)).Id;
            var artifact = await db.Artifacts.SingleAsync(a => a.Id == artifactId, ct);

            var version = await db.ArtifactVersions.SingleOrDefaultAsync(v => v.Id == versionId && v.ArtifactId == artifactId, ct)
                ?? throw VersionNotFound(name, versionId);
            if (version.State == VersionState.Committed)
            {
                // A retried commit (the client lost the first answer) gets the same answer again.
                return (new CommitVersionResponse(CreateVersionStatus.Committed, await VersionQueries.ToResponseAsync(db, artifact, version, ct)), null);
            }
            if (version.State != VersionState.Pending)
                throw NotPending(version);

            var scope = await VersionScope.ForAsync(db, version.Id, grant.Project.Id, [version.CreatedById, grant.UserId], ct);
            var missing = await VersionQueries.MissingDigestsAsync(db, scope, MissingListed, ct);
            if (missing.Count > 0)
            {
                throw PortalException.Conflict(ErrorCodes.BlobsMissing,
                    $"Version {version.Id} cannot be committed: {(missing.Count < MissingListed ? missing.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) : "at least " + MissingListed)} of its blobs are not uploaded yet. Upload them with PUT /api/v1/blobs/sha256/{{digest}} and commit again.",
                    new Dictionary<string, object?> { ["missingDigests"] = missing });
            }
            // Every blob is present now, so every size can be checked against the blob it names.
            var mismatches = await VersionQueries.SizeMismatchesAsync(db, scope, SizeMismatch.Listed, ct);
            if (mismatches.Count > 0)
                throw SizeMismatch.Refusal(mismatches);

            var now = clock.GetUtcNow();
            var latestAlias = await db.Aliases.SingleOrDefaultAsync(a => a.ArtifactId == artifactId && a.Name == ArtifactNames.Latest, ct);
            if (latestAlias is not null)
            {
                var latest = await db.ArtifactVersions.AsNoTracking().SingleAsync(v => v.Id == latestAlias.VersionId, ct);
                if (latest.ManifestDigest == version.ManifestDigest)
                {
                    // An identical version was committed while this one waited: keep one version of the content.
                    version.State = VersionState.Failed;
                    db.Record(now, grant.UserId, grant.Project.Id, "artifact_version.unchanged", "artifact_version", version.Id.ToString(),
                        after: new { artifact = name, existing = latest.Id });
                    await db.SaveChangesAsync(ct);
                    await transaction.CommitAsync(ct);
                    return (new CommitVersionResponse(CreateVersionStatus.Unchanged, await VersionQueries.ToResponseAsync(db, artifact, latest, ct)), null);
                }
            }

            // The project holds every blob of its committed versions from now on, also those that were present only
            // through the uploads of the version's users.
            if (scope.UserIds.Count > 0)
            {
                var notYetHeld = await VersionQueries.NotYetHeldAsync(db, scope, ct);
                db.ProjectBlobs.AddRange(notYetHeld.Select(d => new ProjectBlob { ProjectId = grant.Project.Id, Digest = d, Since = now }));
            }

            var previousVersionId = latestAlias?.VersionId;
            version.Index = artifact.NextVersionIndex;
            artifact.NextVersionIndex++;
            version.State = VersionState.Committed;
            version.CommittedAt = now;
            // Raised before the alias moves, so receivers see the version before the aliases that point at it.
            ArtifactEvents.RaiseVersionCommitted(db, grant.Project.Id, artifact, version, previousVersionId, grant.UserId, now);
            AliasMoves.Move(db, artifactId, latestAlias, ArtifactNames.Latest, version.Id, grant.UserId, now, "commit");
            var requestedAliases = JsonSerializer.Deserialize<List<string>>(version.RequestedAliasesJson) ?? [];
            // Checked again here: a policy may have protected one of them since the version was created.
            await PromotionPolicies.RequireUnprotectedAsync(db, grant.Project.Id, grant.Project.Slug, name, requestedAliases, ct);
            foreach (var alias in requestedAliases)
            {
                var existing = await db.Aliases.SingleOrDefaultAsync(a => a.ArtifactId == artifactId && a.Name == alias, ct);
                AliasMoves.Move(db, artifactId, existing, alias, version.Id, grant.UserId, now, "requested at upload");
            }
            if (version.CreatedByRunId is { } runId)
            {
                db.LineageEdges.Add(new LineageEdge
                {
                    ProjectId = grant.Project.Id,
                    RunId = runId,
                    VersionId = version.Id,
                    Direction = LineageDirection.Produced,
                    CreatedAt = now,
                });
            }
            db.Record(now, grant.UserId, grant.Project.Id, "artifact_version.committed", "artifact_version", version.Id.ToString(),
                after: new { artifact = name, version = ArtifactNames.FormatIndex(version.Index.Value), version.ManifestDigest });
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            var committed = new CommittedVersion(grant.Project.Id, artifactId, version.Id, version.Index.Value, previousVersionId, grant.UserId);
            return (new CommitVersionResponse(CreateVersionStatus.Committed, await VersionQueries.ToResponseAsync(db, artifact, version, ct)), committed);
        });
    }

    private async Task NotifyAsync(CommittedVersion committed, CancellationToken ct)
    {
        foreach (var observer in observers)
        {
            try
            {
                await observer.OnCommittedAsync(committed, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The version is committed whatever an observer does; a failing observer is logged, not reported.
                logger.LogError(ex, "Observer {Observer} failed for committed version {VersionId}", observer.GetType().Name, committed.VersionId);
            }
        }
    }

    private static PortalException VersionNotFound(string name, Guid versionId) =>
        PortalException.NotFound(ErrorCodes.VersionNotFound, $"Artifact '{name}' has no version {versionId}.");

    private static PortalException NotPending(ArtifactVersion version) =>
        PortalException.Conflict(ErrorCodes.VersionNotPending,
            $"Version {version.Id} is {version.State.ToString().ToLowerInvariant()}, not pending; create a new version instead.",
            new Dictionary<string, object?> { ["state"] = version.State.ToString() });
}

/// <summary>Moving an alias always leaves an <see cref="AliasEvent"/>, whoever moves it.</summary>
internal static class AliasMoves
{
    /// <summary>Points <paramref name="name"/> at <paramref name="toVersionId"/> (null removes it). No event when nothing changes.</summary>
    public static void Move(PortalDbContext db, Guid artifactId, ArtifactAlias? existing, string name, Guid? toVersionId, string actorId, DateTimeOffset now, string reason, Guid? promotionRequestId = null)
    {
        var from = existing?.VersionId;
        if (from == toVersionId)
            return;
        if (toVersionId is null)
            db.Aliases.Remove(existing!);
        else if (existing is null)
            db.Aliases.Add(new ArtifactAlias { Id = Guid.NewGuid(), ArtifactId = artifactId, Name = name, VersionId = toVersionId.Value, UpdatedAt = now });
        else
        {
            existing.VersionId = toVersionId.Value;
            existing.UpdatedAt = now;
        }
        db.AliasEvents.Add(new AliasEvent
        {
            ArtifactId = artifactId,
            AliasName = name,
            FromVersionId = from,
            ToVersionId = toVersionId,
            ActorId = actorId,
            At = now,
            Reason = reason,
            PromotionRequestId = promotionRequestId,
        });
        ArtifactEvents.RaiseAliasMoved(db, artifactId, name, from, toVersionId, actorId, now, reason);
    }
}
