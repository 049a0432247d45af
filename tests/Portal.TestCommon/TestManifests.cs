using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Artifacts.Manifests;

namespace Portal.TestCommon;

/// <summary>Manifests for tests: generated entries, and committed versions stored range by range.</summary>
public static class TestManifests
{
    public static string DigestOf(string content) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));

    public static ManifestEntry Entry(string path, string? content = null) =>
        new(path, DigestOf(content ?? path), Encoding.UTF8.GetByteCount(content ?? path));

    /// <summary>
    /// Stores a committed version with the given entries as the next vN of the artifact (created when missing),
    /// writing only the ranges the store does not hold yet — the storage shape the upload protocol produces.
    /// </summary>
    public static async Task<Guid> StoreCommittedVersionAsync(IServiceProvider services, Guid projectId, string artifactName, IEnumerable<ManifestEntry> entries, string type = "dataset")
    {
        await using var scope = services.CreateAsyncScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var artifact = await db.Artifacts.SingleOrDefaultAsync(a => a.ProjectId == projectId && a.Name == artifactName);
        if (artifact is null)
        {
            artifact = new Artifact { Id = Guid.NewGuid(), ProjectId = projectId, Name = artifactName, Type = type, CreatedAt = DateTimeOffset.UtcNow };
            db.Artifacts.Add(artifact);
        }

        var version = new ArtifactVersion
        {
            Id = Guid.NewGuid(),
            ArtifactId = artifact.Id,
            Index = artifact.NextVersionIndex++,
            State = VersionState.Committed,
            CreatedAt = DateTimeOffset.UtcNow,
            CommittedAt = DateTimeOffset.UtcNow,
        };
        var sorted = entries.OrderBy(e => e.Path, Utf8PathComparer.Instance).ToList();
        var known = new HashSet<string>(await db.ManifestRanges.Select(r => r.Digest).ToListAsync(), StringComparer.Ordinal);
        var summary = ManifestRangeBuilder.Build(sorted, range =>
        {
            db.VersionRanges.Add(new VersionRange { VersionId = version.Id, Ordinal = range.Ordinal, RangeDigest = range.Digest });
            if (!known.Add(range.Digest))
                return;
            db.ManifestRanges.Add(ManifestRange.Of(range));
            // As the portal stores ranges: indexed later, found meanwhile through the backlog.
            db.UnindexedRanges.Add(new UnindexedRange { RangeDigest = range.Digest });
            for (var i = 0; i < range.Entries.Count; i++)
            {
                var e = range.Entries[i];
                db.RangeEntries.Add(new RangeEntry { RangeDigest = range.Digest, Ordinal = i, Path = e.Path, Digest = e.Digest, Size = e.Size, Ref = e.Ref, ExtraJson = e.ExtraJson });
            }
        });
        version.ManifestDigest = summary.Digest;
        version.FileCount = summary.FileCount;
        version.TotalSize = summary.TotalSize;
        db.ArtifactVersions.Add(version);
        // As a commit leaves it: the project holds every blob its committed versions name.
        var held = new HashSet<string>(await db.ProjectBlobs.Where(p => p.ProjectId == projectId).Select(p => p.Digest).ToListAsync(), StringComparer.Ordinal);
        foreach (var digest in sorted.Where(e => e.Ref is null).Select(e => e.Digest).Distinct(StringComparer.Ordinal).Where(held.Add))
            db.ProjectBlobs.Add(new ProjectBlob { ProjectId = projectId, Digest = digest, Since = DateTimeOffset.UtcNow });
        await db.SaveChangesAsync();
        return version.Id;
    }
}
