using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Lineage;

namespace Portal.Core.Features.Registry;

/// <summary>
/// A collection's versions with the link behind each, and the lineage across a link. The source of a link is named only
/// to those who may read the source project; others see a redacted "no access" source.
/// </summary>
public sealed class RegistryVersions(IDbContextFactory<PortalDbContext> dbFactory, RegistryCollections collections, LineageGraph lineage)
{
    /// <summary>Every version the collection has had, newest first; unlinked ones are marked and keep their place.</summary>
    public async Task<IReadOnlyList<RegistryVersionResponse>> ListAsync(ClaimsPrincipal user, string name, CancellationToken ct = default)
    {
        var grant = await collections.RequireAsync(user, name, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await LinksQuery(db, grant.Project.Id).ToListAsync(ct);
        return await ToResponsesAsync(db, grant, rows, ct);
    }

    /// <summary>One version of the collection by <c>vN</c>, alias, id or digest (also an unlinked one, by id or <c>vN</c>).</summary>
    public async Task<RegistryVersionResponse> GetAsync(ClaimsPrincipal user, string name, string version, CancellationToken ct = default)
    {
        var grant = await collections.RequireAsync(user, name, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await FindAsync(db, grant.Project.Id, version?.Trim() ?? "", ct)
            ?? throw PortalException.NotFound(ErrorCodes.VersionNotFound, $"Collection '{name}' has no version '{version}'.");
        return (await ToResponsesAsync(db, grant, [row], ct))[0];
    }

    /// <summary>The version, its source, and the source's lineage graph around the source version when the caller reads it.</summary>
    public async Task<RegistryLineageResponse> LineageAsync(ClaimsPrincipal user, string name, string version, CancellationToken ct = default)
    {
        var response = await GetAsync(user, name, version, ct);
        LineageGraphResponse? graph = null;
        if (response.Source is { Accessible: true, Project: { } project, VersionId: { } sourceId })
            graph = await lineage.GraphAsync(user, project, new LineageGraphQuery(LineageNodeId.Version(sourceId).ToString()), ct);
        return new RegistryLineageResponse(response, graph);
    }

    /// <summary>The links of a collection with their versions and source names, newest first; public for the SQL Server translation check.</summary>
    public static IQueryable<LinkRow> LinksQuery(PortalDbContext db, Guid collectionProjectId) =>
        db.RegistryLinks.AsNoTracking()
            .Where(l => l.CollectionProjectId == collectionProjectId)
            .Join(db.ArtifactVersions, l => l.CollectionVersionId, v => v.Id, (l, v) => new { l, v })
            .OrderByDescending(x => x.v.Index)
            .Select(x => new LinkRow
            {
                VersionId = x.v.Id,
                ArtifactId = x.v.ArtifactId,
                Index = x.v.Index,
                ManifestDigest = x.v.ManifestDigest,
                FileCount = x.v.FileCount,
                TotalSize = x.v.TotalSize,
                SourceProjectId = x.l.SourceProjectId,
                SourceVersionId = x.l.SourceVersionId,
                SourceProject = db.Projects.Where(p => p.Id == x.l.SourceProjectId).Select(p => p.Slug).FirstOrDefault(),
                SourceArtifact = db.Artifacts.Where(a => a.Id == x.l.SourceArtifactId).Select(a => a.Name).FirstOrDefault(),
                SourceIndex = db.ArtifactVersions.Where(s => s.Id == x.l.SourceVersionId).Select(s => s.Index).FirstOrDefault(),
                LinkedBy = db.Users.Where(u => u.Id == x.l.LinkedById).Select(u => u.DisplayName).FirstOrDefault(),
                LinkedAt = x.l.LinkedAt,
                Comment = x.l.Comment,
                UnlinkedBy = db.Users.Where(u => u.Id == x.l.UnlinkedById).Select(u => u.DisplayName).FirstOrDefault(),
                UnlinkedAt = x.l.UnlinkedAt,
            });

    private static async Task<LinkRow?> FindAsync(PortalDbContext db, Guid projectId, string spec, CancellationToken ct)
    {
        var links = LinksQuery(db, projectId);
        if (ArtifactNames.ParseIndex(spec) is { } index)
            return await links.FirstOrDefaultAsync(r => r.Index == index, ct);
        if (Guid.TryParseExact(spec, "D", out var id))
            return await links.FirstOrDefaultAsync(r => r.VersionId == id, ct);
        // An alias or digest names a live version.
        var artifactId = await db.RegistryCollections.Where(c => c.ProjectId == projectId).Select(c => c.ArtifactId).SingleAsync(ct);
        var live = await VersionQueries.ResolveAsync(db, artifactId, spec, ct);
        return live is null ? null : await links.FirstOrDefaultAsync(r => r.VersionId == live.Id, ct);
    }

    private static async Task<IReadOnlyList<RegistryVersionResponse>> ToResponsesAsync(PortalDbContext db, ProjectAccessGrant grant, IReadOnlyList<LinkRow> rows, CancellationToken ct)
    {
        var versionIds = rows.Select(r => r.VersionId).ToList();
        var aliases = (await db.Aliases.AsNoTracking().Where(a => versionIds.Contains(a.VersionId)).Select(a => new { a.VersionId, a.Name }).ToListAsync(ct))
            .ToLookup(a => a.VersionId, a => a.Name);
        var sourceProjects = rows.Select(r => r.SourceProjectId).Distinct().ToList();
        var isSiteAdmin = await db.Users.Where(u => u.Id == grant.UserId).Select(u => u.IsSiteAdmin).SingleOrDefaultAsync(ct);
        var readable = isSiteAdmin
            ? sourceProjects.ToHashSet()
            : (await db.Memberships.AsNoTracking().Where(m => m.UserId == grant.UserId && sourceProjects.Contains(m.ProjectId)).Select(m => m.ProjectId).ToListAsync(ct)).ToHashSet();
        return rows.Select(r =>
        {
            var accessible = readable.Contains(r.SourceProjectId) && r.SourceProject is not null;
            var source = accessible
                ? new RegistrySourceResponse(true, r.SourceProject, r.SourceArtifact, r.SourceIndex is { } si ? ArtifactNames.FormatIndex(si) : null, r.SourceVersionId)
                : new RegistrySourceResponse(false, null, null, null, null);
            return new RegistryVersionResponse(
                r.VersionId,
                r.Index is { } i ? ArtifactNames.FormatIndex(i) : "",
                r.ManifestDigest,
                r.FileCount,
                r.TotalSize,
                aliases[r.VersionId].OrderBy(a => a == ArtifactNames.Latest ? 0 : 1).ThenBy(a => a, StringComparer.Ordinal).ToList(),
                source,
                r.LinkedBy ?? "",
                r.LinkedAt,
                r.Comment,
                r.UnlinkedAt,
                r.UnlinkedBy);
        }).ToList();
    }
}

/// <summary>One link as <see cref="RegistryVersions.LinksQuery"/> reads it.</summary>
public sealed class LinkRow
{
    public Guid VersionId { get; init; }
    public Guid ArtifactId { get; init; }
    public int? Index { get; init; }
    public string ManifestDigest { get; init; } = "";
    public long FileCount { get; init; }
    public long TotalSize { get; init; }
    public Guid SourceProjectId { get; init; }
    public Guid SourceVersionId { get; init; }
    public string? SourceProject { get; init; }
    public string? SourceArtifact { get; init; }
    public int? SourceIndex { get; init; }
    public string? LinkedBy { get; init; }
    public DateTimeOffset LinkedAt { get; init; }
    public string? Comment { get; init; }
    public string? UnlinkedBy { get; init; }
    public DateTimeOffset? UnlinkedAt { get; init; }
}
