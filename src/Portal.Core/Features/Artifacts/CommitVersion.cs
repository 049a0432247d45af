using System.Diagnostics;
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

namespace Portal.Core.Features.Artifacts;

/// <summary>
/// Step 3 of the upload protocol: a pending version whose blobs are all stored becomes <c>vN</c> and <c>latest</c>
/// in one transaction; or it is aborted.
/// </summary>
/// <remarks>
/// A commit is an <see cref="ArtifactWrites"/> unit: commits to one artifact are serialised by its row lock, so indexes
/// are consecutive and the "same content as latest?" check sees the previous commit. <see cref="Artifact.NextVersionIndex"/>
/// is also a concurrency token, and the unique (artifact, index) key backs both; a lost race is retried from the start.
/// </remarks>
public sealed class CommitVersion(
    ArtifactWrites writes,
    BulkInserts bulk,
    ProjectAccess access,
    IEnumerable<IVersionCommitObserver> observers,
    ILogger<CommitVersion> logger)
{
    /// <summary>How many missing digests a <c>blobs_missing</c> answer lists.</summary>
    public const int MissingListed = 100;

    public async Task<CommitVersionResponse> CommitAsync(ClaimsPrincipal user, string slug, string name, Guid versionId, CancellationToken ct = default)
    {
        using var activity = PortalTelemetry.ActivitySource.StartActivity("portal.commit_version");
        activity?.SetTag("portal.project", slug);
        activity?.SetTag("portal.artifact", name);
        activity?.SetTag("portal.version_id", versionId.ToString());
        var started = Stopwatch.GetTimestamp();
        var outcome = "refused";
        try
        {
            var grant = await access.RequireAsync(user, slug, ProjectRole.Contributor, ct);
            var response = await writes.RunAsync(grant, name, write => CommitAsync(write, grant, name, versionId, ct), ct);
            outcome = response.Status;
            return response;
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex is PortalException p ? p.Code : ex.GetType().Name);
            throw;
        }
        finally
        {
            activity?.SetTag("portal.outcome", outcome);
            PortalTelemetry.CommitDuration.Record(PortalTelemetry.SecondsSince(started), new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    /// <summary>Marks a pending version <see cref="VersionState.Failed"/>; it never becomes visible.</summary>
    public async Task AbortAsync(ClaimsPrincipal user, string slug, string name, Guid versionId, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Contributor, ct);
        // Under the artifact's lock, as a commit: an abort and a commit of one version cannot both succeed.
        await writes.RunAsync(grant, name, async write =>
        {
            var db = write.Db;
            var version = await db.ArtifactVersions.SingleOrDefaultAsync(v => v.Id == versionId && v.ArtifactId == write.Artifact.Id, ct)
                ?? throw VersionNotFound(name, versionId);
            if (version.State != VersionState.Pending)
                throw NotPending(version);
            version.State = VersionState.Failed;
            db.Record(write.Now, grant.UserId, grant.Project.Id, "artifact_version.aborted", "artifact_version", version.Id.ToString(), after: new { artifact = name });
            return true;
        }, ct);
    }

    private async Task<CommitVersionResponse> CommitAsync(ArtifactWrite write, ProjectAccessGrant grant, string name, Guid versionId, CancellationToken ct)
    {
        var (db, artifact, now) = (write.Db, write.Artifact, write.Now);
        var artifactId = artifact.Id;
        var version = await db.ArtifactVersions.SingleOrDefaultAsync(v => v.Id == versionId && v.ArtifactId == artifactId, ct)
            ?? throw VersionNotFound(name, versionId);
        if (version.State == VersionState.Committed)
        {
            // A retried commit (the client lost the first answer) gets the same answer again.
            return new CommitVersionResponse(CreateVersionStatus.Committed, await VersionQueries.ToResponseAsync(db, artifact, version, ct));
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

        var latestAlias = await write.FindAliasAsync(ArtifactNames.Latest, ct);
        if (latestAlias is not null)
        {
            var latest = await db.ArtifactVersions.AsNoTracking().SingleAsync(v => v.Id == latestAlias.VersionId, ct);
            if (latest.ManifestDigest == version.ManifestDigest)
            {
                // An identical version was committed while this one waited: keep one version of the content.
                version.State = VersionState.Failed;
                db.Record(now, grant.UserId, grant.Project.Id, "artifact_version.unchanged", "artifact_version", version.Id.ToString(),
                    after: new { artifact = name, existing = latest.Id });
                return new CommitVersionResponse(CreateVersionStatus.Unchanged, await VersionQueries.ToResponseAsync(db, artifact, latest, ct));
            }
        }

        // The project holds every blob of its committed versions from now on, also those that were present only
        // through the uploads of the version's users.
        if (scope.UserIds.Count > 0)
        {
            var notYetHeld = await VersionQueries.NotYetHeldAsync(db, scope, ct);
            await bulk.InsertProjectBlobsAsync(db, grant.Project.Id, notYetHeld, now, ct);
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
        await AliasMoves.RequireUnprotectedAsync(db, grant.Project.Id, grant.Project.Slug, name, requestedAliases, ct);
        foreach (var alias in requestedAliases)
            await write.MoveAliasAsync(alias, version.Id, grant.UserId, "requested at upload", ct);
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
        var committed = new CommittedVersion(grant.Project.Id, artifactId, version.Id, version.Index.Value, previousVersionId, grant.UserId);
        write.AfterCommit("the commit observers", token => NotifyAsync(committed, token));
        // Saved before the answer is read back, so it shows the aliases just moved (the unit commits after).
        await db.SaveChangesAsync(ct);
        return new CommitVersionResponse(CreateVersionStatus.Committed, await VersionQueries.ToResponseAsync(db, artifact, version, ct));
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
