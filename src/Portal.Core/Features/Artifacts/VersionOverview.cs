using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Lineage;
using Portal.Core.Features.Runs;

namespace Portal.Core.Features.Artifacts;

/// <summary>A run as a version page links to it.</summary>
public sealed record VersionRunLink(Guid Id, string Name, string JobType, string Status, DateTimeOffset StartedAt);

/// <summary>
/// Everything a version page shows besides its files: the version, who made it, the run that produced it, the runs
/// that used it and the version before it (what "compare" starts from).
/// </summary>
public sealed record VersionOverviewResponse(
    ArtifactVersionResponse Version,
    string? CreatedByName,
    VersionRunLink? ProducedBy,
    IReadOnlyList<VersionRunLink> UsedBy,
    Guid? PreviousVersionId,
    string? PreviousVersion);

/// <summary>Reads for the version and compare pages, each a fixed number of queries.</summary>
public sealed class VersionOverview(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access)
{
    public const int MaxUsedBy = 100;

    public async Task<VersionOverviewResponse> GetAsync(ClaimsPrincipal user, string slug, string name, string reference, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var artifact = await ArtifactCatalog.FindAsync(db, grant, name, ct);
        var version = await VersionQueries.ResolveAsync(db, artifact.Id, reference, ct)
            ?? throw PortalException.NotFound(ErrorCodes.VersionNotFound, $"Artifact '{name}' has no committed version '{reference}'.");
        var response = await VersionQueries.ToResponseAsync(db, artifact, version, ct);

        var createdBy = version.CreatedById is null
            ? null
            : await db.Users.AsNoTracking().Where(u => u.Id == version.CreatedById).Select(u => u.DisplayName).SingleOrDefaultAsync(ct);
        var producedBy = version.CreatedByRunId is { } runId
            ? await db.Runs.AsNoTracking().Where(r => r.Id == runId).Select(r => new { r.Id, r.Name, r.JobType, r.Status, r.StartedAt }).SingleOrDefaultAsync(ct)
            : null;
        var usedBy = await db.LineageEdges.AsNoTracking()
            .Where(e => e.VersionId == version.Id && e.Direction == LineageDirection.Used)
            .OrderByDescending(e => e.CreatedAt)
            .Take(MaxUsedBy)
            .Select(e => new { e.Run.Id, e.Run.Name, e.Run.JobType, e.Run.Status, e.Run.StartedAt })
            .ToListAsync(ct);
        var previous = await db.ArtifactVersions.AsNoTracking()
            .Where(v => v.ArtifactId == artifact.Id && v.State == VersionState.Committed && v.Index < version.Index)
            .OrderByDescending(v => v.Index)
            .Select(v => new { v.Id, v.Index })
            .FirstOrDefaultAsync(ct);

        return new VersionOverviewResponse(
            response,
            createdBy,
            producedBy is null ? null : new VersionRunLink(producedBy.Id, producedBy.Name, producedBy.JobType, Runs.Runs.StatusName(producedBy.Status), producedBy.StartedAt),
            usedBy.Select(r => new VersionRunLink(r.Id, r.Name, r.JobType, Runs.Runs.StatusName(r.Status), r.StartedAt)).ToList(),
            previous?.Id,
            previous?.Index is { } i ? ArtifactNames.FormatIndex(i) : null);
    }

    /// <summary>A committed version of the project by id, whatever its artifact (compare links carry only ids).</summary>
    public async Task<ArtifactVersionResponse> GetByIdAsync(ClaimsPrincipal user, string slug, Guid versionId, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var version = await db.ArtifactVersions.AsNoTracking().Include(v => v.Artifact)
                          .SingleOrDefaultAsync(v => v.Id == versionId && v.Artifact.ProjectId == grant.Project.Id && v.State == VersionState.Committed, ct)
                      ?? throw PortalException.NotFound(ErrorCodes.VersionNotFound, $"Project '{slug}' has no committed version {versionId}.");
        return await VersionQueries.ToResponseAsync(db, version.Artifact, version, ct);
    }

    /// <summary>The committed version just before this one in its artifact, or null for the first (what compare defaults to).</summary>
    public async Task<Guid?> PreviousIdAsync(ClaimsPrincipal user, string slug, Guid versionId, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var version = await db.ArtifactVersions.AsNoTracking()
                          .Where(v => v.Id == versionId && v.Artifact.ProjectId == grant.Project.Id && v.State == VersionState.Committed)
                          .Select(v => new { v.ArtifactId, v.Index })
                          .SingleOrDefaultAsync(ct)
                      ?? throw PortalException.NotFound(ErrorCodes.VersionNotFound, $"Project '{slug}' has no committed version {versionId}.");
        return await db.ArtifactVersions.AsNoTracking()
            .Where(v => v.ArtifactId == version.ArtifactId && v.State == VersionState.Committed && v.Index < version.Index)
            .OrderByDescending(v => v.Index)
            .Select(v => (Guid?)v.Id)
            .FirstOrDefaultAsync(ct);
    }

    /// <summary>Names of the runs that produced a page of versions, in one query.</summary>
    public async Task<IReadOnlyDictionary<Guid, string>> RunNamesAsync(ClaimsPrincipal user, string slug, IEnumerable<Guid> runIds, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        var ids = runIds.Distinct().ToList();
        if (ids.Count == 0)
            return new Dictionary<Guid, string>();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Runs.AsNoTracking()
            .Where(r => r.ProjectId == grant.Project.Id && ids.Contains(r.Id))
            .ToDictionaryAsync(r => r.Id, r => r.Name, ct);
    }
}
