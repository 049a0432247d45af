using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts.Manifests;
using Portal.Core.Storage;

namespace Portal.Core.Features.Artifacts;

/// <summary>
/// Reverse look-ups: which versions hold a blob (digest → ranges → versions, by the <see cref="BlobRange"/> index plus
/// the ranges not indexed yet), and which versions of a project hold a path.
/// </summary>
public sealed class ContainingVersions(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access)
{
    public const int MaxResults = 500;

    /// <summary>Committed versions, in projects the user can read, that contain a file with this digest.</summary>
    public async Task<IReadOnlyList<ContainingVersion>> WithDigestAsync(ClaimsPrincipal user, string digest, CancellationToken ct = default)
    {
        ContentDigest.Validate(digest);
        var userId = ProjectAccess.UserId(user) ?? throw PortalException.Unauthenticated();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var isSiteAdmin = await db.Users.Where(u => u.Id == userId).Select(u => u.IsSiteAdmin).SingleOrDefaultAsync(ct);
        var entries = BlobRangeIndex.EntriesNaming(db, digest);
        var query =
            from e in entries
            join vr in db.VersionRanges on e.RangeDigest equals vr.RangeDigest
            join v in db.ArtifactVersions on vr.VersionId equals v.Id
            where v.State == VersionState.Committed
            select new { e.Path, Version = v, v.Artifact, ProjectSlug = v.Artifact.Project.Slug, v.Artifact.ProjectId };
        if (!isSiteAdmin)
            query = query.Where(x => db.Memberships.Any(m => m.ProjectId == x.ProjectId && m.UserId == userId));
        var rows = await query
            .OrderByDescending(x => x.Version.CommittedAt)
            .Select(x => new { x.ProjectSlug, ArtifactName = x.Artifact.Name, ArtifactType = x.Artifact.Type, VersionId = x.Version.Id, x.Version.Index, x.Path, x.Version.CommittedAt })
            .Take(MaxResults)
            .ToListAsync(ct);
        return rows.Select(r => new ContainingVersion(r.ProjectSlug, r.ArtifactName, r.ArtifactType, r.VersionId, r.Index ?? 0, r.Path, r.CommittedAt)).ToList();
    }

    /// <summary>Committed versions of a project's artifacts (optionally one artifact) that hold this exact path.</summary>
    public async Task<IReadOnlyList<ContainingVersion>> WithPathAsync(ClaimsPrincipal user, string slug, string path, string? artifactName, CancellationToken ct = default)
    {
        ManifestPath.Validate(path);
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var versions = await db.ArtifactVersions.AsNoTracking()
            .Where(v => v.State == VersionState.Committed && v.Artifact.ProjectId == grant.Project.Id)
            .Where(v => artifactName == null || v.Artifact.Name == artifactName)
            .OrderByDescending(v => v.CommittedAt)
            .Select(v => new { v.Id, v.Index, v.CommittedAt, v.Artifact.Name, v.Artifact.Type })
            .Take(MaxResults)
            .ToListAsync(ct);
        var ids = versions.Select(v => v.Id).ToList();
        // All range bounds in one query; the one range per version that could hold the path is picked in memory,
        // then all candidates are checked in one more query.
        var bounds = await db.VersionRanges.AsNoTracking()
            .Where(vr => ids.Contains(vr.VersionId))
            .Join(db.ManifestRanges, vr => vr.RangeDigest, r => r.Digest, (vr, r) => new { vr.VersionId, r.Digest, r.FirstPath, r.LastPath })
            .ToListAsync(ct);
        var comparer = Utf8PathComparer.Instance;
        var candidates = bounds
            .Where(b => comparer.Compare(b.FirstPath, path) <= 0 && comparer.Compare(b.LastPath, path) >= 0)
            .ToList();
        var candidateDigests = candidates.Select(c => c.Digest).Distinct().ToList();
        var holding = (await db.RangeEntries.AsNoTracking()
                .Where(e => candidateDigests.Contains(e.RangeDigest) && e.Path == path)
                .Select(e => new { e.RangeDigest, e.Path })
                .ToListAsync(ct))
            .Where(e => string.Equals(e.Path, path, StringComparison.Ordinal))
            .Select(e => e.RangeDigest)
            .ToHashSet(StringComparer.Ordinal);
        var versionsHolding = candidates.Where(c => holding.Contains(c.Digest)).Select(c => c.VersionId).ToHashSet();
        var found = versions
            .Where(v => versionsHolding.Contains(v.Id))
            .Select(v => new ContainingVersion(slug, v.Name, v.Type, v.Id, v.Index ?? 0, path, v.CommittedAt))
            .ToList();
        return found;
    }
}
