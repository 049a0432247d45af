using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts.Manifests;
using Portal.Core.Storage;

namespace Portal.Core.Features.Artifacts;

/// <summary>Queries over versions shared by the use cases: resolving references, reading manifests, finding missing blobs.</summary>
internal static class VersionQueries
{
    /// <summary>
    /// The committed version <paramref name="reference"/> names in the artifact: <c>vN</c>, a version id, a manifest
    /// digest (the newest version with it), or an alias (<c>latest</c> included). Pending and failed versions are
    /// never found.
    /// </summary>
    public static async Task<ArtifactVersion?> ResolveAsync(PortalDbContext db, Guid artifactId, string reference, CancellationToken ct)
    {
        var committed = db.ArtifactVersions.AsNoTracking().Where(v => v.ArtifactId == artifactId && v.State == VersionState.Committed);
        if (ArtifactNames.ParseIndex(reference) is { } index)
            return await committed.SingleOrDefaultAsync(v => v.Index == index, ct);
        // Only the hyphenated form: a 32-hex alias must not be read as a GUID ("N" format).
        if (Guid.TryParseExact(reference, "D", out var id))
            return await committed.SingleOrDefaultAsync(v => v.Id == id, ct);
        if (ContentDigest.IsValid(reference))
            return await committed.Where(v => v.ManifestDigest == reference).OrderByDescending(v => v.Index).FirstOrDefaultAsync(ct);
        return await AliasTarget(db, artifactId, reference).SingleOrDefaultAsync(ct);
    }

    internal static IQueryable<ArtifactVersion> AliasTarget(PortalDbContext db, Guid artifactId, string alias) =>
        db.ArtifactVersions.AsNoTracking()
            .Where(v => v.ArtifactId == artifactId && v.State == VersionState.Committed)
            .Where(v => db.Aliases.Any(a => a.ArtifactId == artifactId && a.Name == alias && a.VersionId == v.Id));

    /// <summary>Distinct digests of the version's stored (non-ref) entries that the blob store does not hold, at most <paramref name="limit"/>.</summary>
    public static Task<List<string>> MissingDigestsAsync(PortalDbContext db, Guid versionId, int limit, CancellationToken ct) =>
        MissingDigests(db, versionId).Take(limit).ToListAsync(ct);

    /// <summary>Distinct digests among <paramref name="digests"/> that the blob store does not hold (corrupt ones count as missing), in order, at most <paramref name="limit"/>.</summary>
    public static async Task<List<string>> MissingAmongAsync(PortalDbContext db, IReadOnlyCollection<string> digests, int limit, CancellationToken ct)
    {
        var distinct = digests.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var stored = await BlobUploads.StoredAmongAsync(db, distinct, ct);
        return distinct.Where(d => !stored.Contains(d)).Take(limit).ToList();
    }

    /// <summary>
    /// One set-based query (version → ranges → entries, anti-join on StoredBlobs) instead of a probe per file. Ranges
    /// that some committed version already has are skipped without reading their entries: their blobs were checked
    /// when that version committed, so a patch of ten files checks about ten ranges, not a million entries.
    /// </summary>
    internal static IQueryable<string> MissingDigests(PortalDbContext db, Guid versionId) =>
        db.VersionRanges.AsNoTracking()
            .Where(r => r.VersionId == versionId)
            .Where(r => !db.VersionRanges.Any(o => o.RangeDigest == r.RangeDigest && o.VersionId != versionId
                && db.ArtifactVersions.Any(v => v.Id == o.VersionId && v.State == VersionState.Committed)))
            .Join(db.RangeEntries, r => r.RangeDigest, e => e.RangeDigest, (r, e) => e)
            .Where(e => e.Ref == null && !db.StoredBlobs.Any(b => b.Digest == e.Digest && !b.Corrupt))
            .Select(e => e.Digest)
            .Distinct()
            .OrderBy(d => d);

    /// <summary>API shapes for committed versions, with the aliases that point at each.</summary>
    public static async Task<List<ArtifactVersionResponse>> ToResponsesAsync(PortalDbContext db, Artifact artifact, IReadOnlyList<ArtifactVersion> versions, CancellationToken ct)
    {
        var ids = versions.Select(v => v.Id).ToList();
        var aliases = await db.Aliases.AsNoTracking()
            .Where(a => a.ArtifactId == artifact.Id && ids.Contains(a.VersionId))
            .Select(a => new { a.VersionId, a.Name })
            .ToListAsync(ct);
        var byVersion = aliases.ToLookup(a => a.VersionId, a => a.Name);
        return versions.Select(v => ToResponse(artifact, v, byVersion[v.Id].Order(StringComparer.Ordinal).ToList())).ToList();
    }

    public static async Task<ArtifactVersionResponse> ToResponseAsync(PortalDbContext db, Artifact artifact, ArtifactVersion version, CancellationToken ct) =>
        (await ToResponsesAsync(db, artifact, [version], ct))[0];

    private static ArtifactVersionResponse ToResponse(Artifact artifact, ArtifactVersion v, IReadOnlyList<string> aliases)
    {
        using var metadata = JsonDocument.Parse(v.MetadataJson);
        var index = v.Index ?? throw new InvalidOperationException($"Version {v.Id} is not committed.");
        return new ArtifactVersionResponse(
            v.Id,
            artifact.Name,
            artifact.Type,
            index,
            ArtifactNames.FormatIndex(index),
            v.ManifestDigest,
            v.FileCount,
            v.TotalSize,
            metadata.RootElement.Clone(),
            v.Description,
            v.CreatedByRunId,
            v.CreatedById,
            v.CreatedAt,
            v.CommittedAt ?? v.CreatedAt,
            aliases);
    }
}
