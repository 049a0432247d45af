using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts.Manifests;
using Portal.Core.Storage;

namespace Portal.Core.Features.Artifacts;

/// <summary>Queries over versions shared by the use cases: resolving references, reading manifests, finding missing blobs.</summary>
/// <summary>A version being created or committed, with who it belongs to: what decides which blobs are present for it.</summary>
/// <param name="UserIds">The users whose own uploads count (the version's creator and whoever commits it), among those
/// who have uploaded anything without naming a project.</param>
internal sealed record VersionScope(Guid VersionId, Guid ProjectId, IReadOnlyList<string> UserIds)
{
    /// <summary>
    /// The scope of a version of <paramref name="projectId"/> made by <paramref name="users"/>. Users with no upload of
    /// their own are left out, so the usual case (clients that upload into the project) asks only the project's holdings.
    /// </summary>
    public static async Task<VersionScope> ForAsync(PortalDbContext db, Guid versionId, Guid projectId, IEnumerable<string?> users, CancellationToken ct)
    {
        var candidates = users.OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        var uploaders = await db.UserBlobs.AsNoTracking().Where(u => candidates.Contains(u.UserId)).Select(u => u.UserId).Distinct().ToListAsync(ct);
        return new VersionScope(versionId, projectId, uploaders);
    }
}

/// <summary>An entry whose declared size is not the size of the blob it names.</summary>
public sealed record SizeMismatch(string Path, string Digest, long DeclaredSize, long ActualSize)
{
    /// <summary>How many mismatches an answer lists.</summary>
    public const int Listed = 20;

    /// <summary>400 <c>size_mismatch</c> naming the first entry and listing up to <see cref="Listed"/>.</summary>
    public static PortalException Refusal(IReadOnlyList<SizeMismatch> mismatches)
    {
        var first = mismatches[0];
        var more = mismatches.Count > 1 ? $" ({mismatches.Count}{(mismatches.Count >= Listed ? " or more" : "")} entries in all, listed in \"mismatches\")" : "";
        return PortalException.BadRequest(
            ErrorCodes.SizeMismatch,
            $"Entry {ManifestPath.Display(first.Path)} declares {first.DeclaredSize:N0} bytes, but blob sha256:{first.Digest} has {first.ActualSize:N0} bytes{more}. "
            + "Send each file's real size; the portal measures every blob it stores.",
            new Dictionary<string, object?>
            {
                ["path"] = first.Path,
                ["declaredSize"] = first.DeclaredSize,
                ["actualSize"] = first.ActualSize,
                ["mismatches"] = mismatches.Select(m => new { m.Path, m.Digest, m.DeclaredSize, m.ActualSize }).ToList(),
            });
    }
}

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

    /// <summary>
    /// Distinct digests of the version's stored (non-ref) entries that are not present for it (see
    /// <see cref="BlobPossession.PresentFor"/>), in order, at most <paramref name="limit"/>.
    /// </summary>
    public static Task<List<string>> MissingDigestsAsync(PortalDbContext db, VersionScope scope, int limit, CancellationToken ct) =>
        MissingDigests(db, scope).Take(limit).ToListAsync(ct);

    /// <summary>One set-based query: the version's new entries, anti-joined on the blobs present for it.</summary>
    internal static IQueryable<string> MissingDigests(PortalDbContext db, VersionScope scope) =>
        NewEntries(db, scope)
            .Where(e => e.Ref == null && !BlobPossession.PresentFor(db, scope.ProjectId, scope.UserIds).Any(b => b.Digest == e.Digest))
            .Select(e => e.Digest)
            .Distinct()
            .OrderBy(d => d);

    /// <summary>Distinct digests among <paramref name="digests"/> that are not present for the version, in order, at most <paramref name="limit"/>.</summary>
    public static async Task<List<string>> MissingAmongAsync(PortalDbContext db, VersionScope scope, IReadOnlyCollection<string> digests, int limit, CancellationToken ct)
    {
        var distinct = digests.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var present = await PresentSizesAsync(db, scope, distinct, ct);
        return distinct.Where(d => !present.ContainsKey(d)).Take(limit).ToList();
    }

    /// <summary>The stored sizes of those of <paramref name="digests"/> that are present for the version.</summary>
    public static async Task<Dictionary<string, long>> PresentSizesAsync(PortalDbContext db, VersionScope scope, IReadOnlyCollection<string> digests, CancellationToken ct)
    {
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var chunk in digests.Distinct(StringComparer.Ordinal).Chunk(BlobUploads.LookupChunk))
        {
            var found = await BlobPossession.PresentFor(db, scope.ProjectId, scope.UserIds).AsNoTracking()
                .Where(b => chunk.Contains(b.Digest))
                .Select(b => new { b.Digest, b.Size })
                .ToListAsync(ct);
            foreach (var blob in found)
                sizes[blob.Digest] = blob.Size;
        }
        return sizes;
    }

    /// <summary>
    /// Entries of the version whose declared size differs from the size of the present blob they name, in path order,
    /// at most <paramref name="limit"/>. A blob's size is a fact the portal measured; a manifest only claims it.
    /// </summary>
    public static Task<List<SizeMismatch>> SizeMismatchesAsync(PortalDbContext db, VersionScope scope, int limit, CancellationToken ct) =>
        SizeMismatches(db, scope).Take(limit).ToListAsync(ct);

    internal static IQueryable<SizeMismatch> SizeMismatches(PortalDbContext db, VersionScope scope) =>
        NewEntries(db, scope)
            .Where(e => e.Ref == null)
            .Join(BlobPossession.PresentFor(db, scope.ProjectId, scope.UserIds), e => e.Digest, b => b.Digest, (e, b) => new { e.Path, e.Digest, Declared = e.Size, Actual = b.Size })
            .Where(x => x.Declared != x.Actual)
            .OrderBy(x => x.Path)
            .Select(x => new SizeMismatch(x.Path, x.Digest, x.Declared, x.Actual));

    /// <summary>
    /// Distinct digests of the version's stored entries that its project does not hold yet (they are present through
    /// the uploads of the version's users): the commit records them as the project's.
    /// </summary>
    public static Task<List<string>> NotYetHeldAsync(PortalDbContext db, VersionScope scope, CancellationToken ct) =>
        NewEntries(db, scope)
            .Where(e => e.Ref == null && !db.ProjectBlobs.Any(p => p.ProjectId == scope.ProjectId && p.Digest == e.Digest))
            .Select(e => e.Digest)
            .Distinct()
            .ToListAsync(ct);

    /// <summary>
    /// The entries of the version's ranges that no other committed version of the same project has. The others need
    /// no check: their blobs were present, and their sizes checked, when that version committed, and the project holds
    /// them since. So a patch of ten files checks about ten ranges, not a million entries. Ranges shared only with
    /// other projects are checked: the same range digest says nothing about who holds its blobs.
    /// </summary>
    private static IQueryable<RangeEntry> NewEntries(PortalDbContext db, VersionScope scope) =>
        db.VersionRanges.AsNoTracking()
            .Where(r => r.VersionId == scope.VersionId)
            .Where(r => !db.VersionRanges.Any(o => o.RangeDigest == r.RangeDigest && o.VersionId != scope.VersionId
                && db.ArtifactVersions.Any(v => v.Id == o.VersionId && v.State == VersionState.Committed && v.Artifact.ProjectId == scope.ProjectId)))
            .Join(db.RangeEntries, r => r.RangeDigest, e => e.RangeDigest, (r, e) => e);

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
