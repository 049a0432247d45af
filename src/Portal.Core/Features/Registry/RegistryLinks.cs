using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Auditing;
using Portal.Core.Features.Events;
using Portal.Core.Features.Projects;

namespace Portal.Core.Features.Registry;

/// <summary>
/// Link, don't copy: a committed project version becomes the next version of a collection (<c>support-retriever:v3</c>)
/// with the same manifest. The new version lists the source's ranges (content addressed, so nothing is re-uploaded or
/// copied), the collection's project holds the source's blobs from then on (so downloads of the linked version pass the
/// possession check), <c>latest</c> moves, and the link is recorded. Linking needs Viewer in the source project and
/// Contributor in the collection; unlinking needs collection Admin and keeps the record and the alias history.
/// </summary>
public sealed class RegistryLinks(
    IDbContextFactory<PortalDbContext> dbFactory,
    RegistryCollections collections,
    ProjectAccess access,
    ArtifactWrites writes,
    BulkInserts bulk,
    RegistryVersions versions,
    IEnumerable<IVersionCommitObserver> observers,
    ILogger<RegistryLinks> logger)
{
    public async Task<RegistryVersionResponse> LinkAsync(ClaimsPrincipal user, string name, LinkRegistryVersionRequest request, CancellationToken ct = default)
    {
        var grant = await collections.RequireAsync(user, name, ProjectRole.Contributor, ct);
        var comment = request.Comment?.Trim();
        if (comment is { Length: > 2000 })
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, $"A link comment has at most 2,000 characters (got {comment.Length:N0}).");
        var source = await ResolveSourceAsync(user, request, ct);

        Guid versionId = Guid.Empty;
        CommittedVersion? committed = null;
        var collectionArtifactId = await ArtifactIdAsync(grant.Project.Id, ct);
        await writes.RunAsync(collectionArtifactId, async write =>
        {
            var (db, artifact, now) = (write.Db, write.Artifact, write.Now);
            await RegistryCards.RequireCompleteAsync(db, grant.Project.Id, "link a version", ct);
            var existing = await db.RegistryLinks.AsNoTracking()
                .Where(l => l.CollectionProjectId == grant.Project.Id && l.SourceVersionId == source.Version.Id && l.UnlinkedAt == null)
                .Select(l => db.ArtifactVersions.Where(v => v.Id == l.CollectionVersionId).Select(v => v.Index).FirstOrDefault())
                .ToListAsync(ct);
            if (existing.Count > 0)
            {
                var label = existing[0] is { } i ? ArtifactNames.FormatIndex(i) : "a version";
                throw PortalException.Conflict(ErrorCodes.RegistryAlreadyLinked,
                    $"{source.Label} is already linked into '{name}' as {name}:{label}; a version is linked once.",
                    new Dictionary<string, object?> { ["version"] = label });
            }

            var latest = await write.FindAliasAsync(ArtifactNames.Latest, ct);
            var version = new ArtifactVersion
            {
                Id = Guid.NewGuid(),
                ArtifactId = artifact.Id,
                Index = artifact.NextVersionIndex,
                ManifestDigest = source.Version.ManifestDigest,
                State = VersionState.Committed,
                FileCount = source.Version.FileCount,
                TotalSize = source.Version.TotalSize,
                MetadataJson = source.Version.MetadataJson,
                Description = source.Version.Description,
                CreatedById = grant.UserId,
                CreatedAt = now,
                CommittedAt = now,
            };
            artifact.NextVersionIndex++;
            db.ArtifactVersions.Add(version);
            var ranges = await db.VersionRanges.AsNoTracking().Where(r => r.VersionId == source.Version.Id).ToListAsync(ct);
            db.VersionRanges.AddRange(ranges.Select(r => new VersionRange { VersionId = version.Id, Ordinal = r.Ordinal, RangeDigest = r.RangeDigest }));
            db.RegistryLinks.Add(new RegistryLink
            {
                Id = Guid.NewGuid(),
                CollectionProjectId = grant.Project.Id,
                CollectionVersionId = version.Id,
                SourceProjectId = source.Grant.Project.Id,
                SourceArtifactId = source.Version.ArtifactId,
                SourceVersionId = source.Version.Id,
                LinkedById = grant.UserId,
                LinkedAt = now,
                Comment = string.IsNullOrEmpty(comment) ? null : comment,
            });
            ArtifactEvents.RaiseVersionCommitted(db, grant.Project.Id, artifact, version, latest?.VersionId, grant.UserId, now);
            db.Raise(grant.Project.Id, PortalEventTypes.VersionLinked, new
            {
                collection = name,
                version = new { id = version.Id, version = ArtifactNames.FormatIndex(version.Index.Value), digest = version.ManifestDigest },
                previousVersionId = latest?.VersionId,
                source = new { project = source.Grant.Project.Slug, label = source.Label, versionId = source.Version.Id },
                actor = new { id = grant.UserId },
            }, now);
            AliasMoves.Move(db, artifact.Id, latest, ArtifactNames.Latest, version.Id, grant.UserId, now, "link");
            db.Record(now, grant.UserId, grant.Project.Id, "registry.version_linked", "artifact_version", version.Id.ToString(),
                after: new { collection = name, version = ArtifactNames.FormatIndex(version.Index.Value), source = source.Label, sourceVersionId = source.Version.Id, version.ManifestDigest });
            await db.SaveChangesAsync(ct);
            // The collection holds the blobs of its versions, as a project holds those of its commits.
            var notYetHeld = await VersionQueries.NotYetHeldAsync(db, new VersionScope(version.Id, grant.Project.Id, []), ct);
            await bulk.InsertProjectBlobsAsync(db, grant.Project.Id, notYetHeld, now, ct);
            versionId = version.Id;
            committed = new CommittedVersion(grant.Project.Id, artifact.Id, version.Id, version.Index.Value, latest?.VersionId, grant.UserId);
            write.AfterCommit("the commit observers", token => NotifyAsync(committed, token));
            return true;
        }, ct);
        return await versions.GetAsync(user, name, versionId.ToString("D"), ct);
    }

    /// <summary>
    /// Ends a link: the collection version leaves the version list (state <c>Deleted</c>, as retention does), the link
    /// record and the alias history stay. Refused while a custom alias points at it; <c>latest</c> moves back.
    /// </summary>
    public async Task<RegistryVersionResponse> UnlinkAsync(ClaimsPrincipal user, string name, string version, CancellationToken ct = default)
    {
        var grant = await collections.RequireAsync(user, name, ProjectRole.Admin, ct);
        Guid versionId = Guid.Empty;
        var collectionArtifactId = await ArtifactIdAsync(grant.Project.Id, ct);
        await writes.RunAsync(collectionArtifactId, async write =>
        {
            var (db, artifact, now) = (write.Db, write.Artifact, write.Now);
            var target = await VersionQueries.ResolveAsync(db, artifact.Id, version.Trim(), ct)
                ?? throw PortalException.NotFound(ErrorCodes.VersionNotFound, $"Collection '{name}' has no linked version '{version}'.");
            var aliases = await db.Aliases.Where(a => a.ArtifactId == artifact.Id && a.VersionId == target.Id).ToListAsync(ct);
            var custom = aliases.Where(a => a.Name != ArtifactNames.Latest).Select(a => a.Name).OrderBy(a => a, StringComparer.Ordinal).ToList();
            if (custom.Count > 0)
            {
                throw PortalException.Conflict(ErrorCodes.RegistryVersionAliased,
                    $"{name}:{ArtifactNames.FormatIndex(target.Index!.Value)} is at {string.Join(", ", custom)}; promote or roll back another version there before unlinking it.",
                    new Dictionary<string, object?> { ["aliases"] = custom });
            }
            var tracked = await db.ArtifactVersions.SingleAsync(v => v.Id == target.Id, ct);
            tracked.State = VersionState.Deleted;
            tracked.ExpiresAt = null;
            if (aliases.SingleOrDefault(a => a.Name == ArtifactNames.Latest) is { } latest)
            {
                var previous = await db.ArtifactVersions.AsNoTracking()
                    .Where(v => v.ArtifactId == artifact.Id && v.State == VersionState.Committed && v.Id != target.Id)
                    .OrderByDescending(v => v.Index).Select(v => (Guid?)v.Id).FirstOrDefaultAsync(ct);
                AliasMoves.Move(db, artifact.Id, latest, ArtifactNames.Latest, previous, grant.UserId, now, "unlink");
            }
            var link = await db.RegistryLinks.SingleOrDefaultAsync(l => l.CollectionVersionId == target.Id, ct);
            if (link is not null)
            {
                link.UnlinkedAt = now;
                link.UnlinkedById = grant.UserId;
            }
            db.Record(now, grant.UserId, grant.Project.Id, "registry.version_unlinked", "artifact_version", target.Id.ToString(),
                before: new { collection = name, version = ArtifactNames.FormatIndex(target.Index!.Value), sourceVersionId = link?.SourceVersionId });
            versionId = target.Id;
            return true;
        }, ct);
        return await versions.GetAsync(user, name, versionId.ToString("D"), ct);
    }

    private sealed record Source(ProjectAccessGrant Grant, ArtifactVersion Version, string Label);

    private async Task<Source> ResolveSourceAsync(ClaimsPrincipal user, LinkRegistryVersionRequest request, CancellationToken ct)
    {
        var project = request.Project?.Trim() ?? "";
        var artifactName = request.Artifact?.Trim() ?? "";
        var spec = request.Version?.Trim() ?? "";
        if (project.Length == 0 || artifactName.Length == 0 || spec.Length == 0)
        {
            throw PortalException.BadRequest(ErrorCodes.RegistrySourceInvalid,
                "Say which version to link: \"project\": \"rag-support\", \"artifact\": \"index\", \"version\": \"v7\" (or an alias, version id or digest).");
        }
        var grant = await access.RequireAsync(user, project, ProjectRole.Viewer, ct);
        if (grant.Project.Kind != ProjectKind.Project)
        {
            throw PortalException.BadRequest(ErrorCodes.RegistrySourceInvalid,
                $"'{project}' is a registry collection; link the project version it came from instead.");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var artifact = await ArtifactCatalog.FindAsync(db, grant, artifactName, ct);
        var version = await VersionQueries.ResolveAsync(db, artifact.Id, spec, ct)
            ?? throw PortalException.NotFound(ErrorCodes.VersionNotFound, $"Artifact '{artifactName}' in '{project}' has no committed version '{spec}'; only committed versions can be linked.");
        return new Source(grant, version, $"{project}/{artifactName}:{ArtifactNames.FormatIndex(version.Index!.Value)}");
    }

    private async Task<Guid> ArtifactIdAsync(Guid projectId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.RegistryCollections.AsNoTracking().Where(c => c.ProjectId == projectId).Select(c => c.ArtifactId).SingleAsync(ct);
    }

    private async Task NotifyAsync(CommittedVersion? committed, CancellationToken ct)
    {
        if (committed is null)
            return;
        foreach (var observer in observers)
        {
            try
            {
                await observer.OnCommittedAsync(committed, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Observer {Observer} failed for linked version {VersionId}", observer.GetType().Name, committed.VersionId);
            }
        }
    }
}
