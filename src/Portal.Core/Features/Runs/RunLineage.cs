using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Auditing;
using Portal.Core.Features.Lineage;

namespace Portal.Core.Features.Runs;

/// <summary>
/// The run's side of the lineage graph: recording the versions a run used, and listing what it used and produced.
/// Produced edges are written by the commit of a version, not here.
/// </summary>
public sealed class RunLineage(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access, TimeProvider clock)
{
    /// <summary>
    /// Records run —used→ version. Idempotent: using the same version again returns the same edge. Only committed
    /// versions of the same project can be used; a pending version has no fixed content yet. A finished run may still
    /// record what it used, because clients often report their inputs at the end.
    /// </summary>
    public async Task<LineageVersionResponse> UseAsync(ClaimsPrincipal user, string slug, Guid runId, UseVersionRequest request, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Contributor, ct);
        var projectId = grant.Project.Id;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await Runs.EnsureExistsAsync(db, projectId, runId, ct);
        var version = await db.ArtifactVersions.AsNoTracking()
                          .Where(v => v.Id == request.VersionId && v.Artifact.ProjectId == projectId)
                          .Select(v => new { v.State, Entry = new LineageVersionResponse(v.Id, v.Artifact.Name, v.Artifact.Type, v.Index, v.ManifestDigest) })
                          .SingleOrDefaultAsync(ct)
                      ?? throw PortalException.NotFound(ErrorCodes.VersionNotFound, $"No artifact version '{request.VersionId}' exists in project '{slug}'.");
        if (version.State != VersionState.Committed)
        {
            throw PortalException.Conflict(ErrorCodes.VersionNotCommitted,
                $"Version {request.VersionId} of '{version.Entry.ArtifactName}' is {version.State.ToString().ToLowerInvariant()}; only committed versions can be used.");
        }

        if (await EdgeExistsAsync(db, runId, request.VersionId, ct))
            return version.Entry;
        var now = clock.GetUtcNow();
        db.LineageEdges.Add(new LineageEdge { ProjectId = projectId, RunId = runId, VersionId = request.VersionId, Direction = LineageDirection.Used, CreatedAt = now });
        db.Record(now, grant.UserId, projectId, "run.used_version", "run", runId.ToString(),
            after: new { request.VersionId, version.Entry.ArtifactName, version.Entry.Index });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Lost a race with the same request: the unique edge index kept one, which is the answer either way.
            await using var fresh = await dbFactory.CreateDbContextAsync(ct);
            if (!await EdgeExistsAsync(fresh, runId, request.VersionId, ct))
                throw;
        }

        return version.Entry;
    }

    public async Task<RunLineageResponse> GetAsync(ClaimsPrincipal user, string slug, Guid runId, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await Runs.EnsureExistsAsync(db, grant.Project.Id, runId, ct);
        var edges = await db.LineageEdges.AsNoTracking()
            .Where(e => e.RunId == runId)
            .OrderBy(e => e.CreatedAt).ThenBy(e => e.Id)
            .Select(e => new
            {
                e.Direction,
                Entry = new LineageVersionResponse(e.VersionId, e.Version.Artifact.Name, e.Version.Artifact.Type, e.Version.Index, e.Version.ManifestDigest),
            })
            .ToListAsync(ct);
        return new RunLineageResponse(
            edges.Where(e => e.Direction == LineageDirection.Used).Select(e => e.Entry).ToList(),
            edges.Where(e => e.Direction == LineageDirection.Produced).Select(e => e.Entry).ToList());
    }

    private static Task<bool> EdgeExistsAsync(PortalDbContext db, Guid runId, Guid versionId, CancellationToken ct) =>
        db.LineageEdges.AnyAsync(e => e.RunId == runId && e.Direction == LineageDirection.Used && e.VersionId == versionId, ct);

}
