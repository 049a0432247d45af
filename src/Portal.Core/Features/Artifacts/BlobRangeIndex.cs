using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Data;
using Portal.Core.Storage;

namespace Portal.Core.Features.Artifacts;

/// <summary>
/// "Range <see cref="RangeDigest"/> has an entry naming blob <see cref="Digest"/>": the reverse index behind "which
/// versions hold this blob", garbage collection and the integrity scrub. It is filled after a range is stored, by
/// <see cref="BlobRangeIndexer"/>, not by the upload: an entry's digest lands on a random page of any digest index, so
/// indexing inline made storing a range cost a page write per entry, and re-cutting a few ranges of a large version
/// cost most of a second. Until a range is indexed it is listed in <see cref="UnindexedRange"/>, and every look-up
/// reads those ranges' entries directly (see <see cref="BlobRangeIndex"/>), so no answer is ever stale.
/// </summary>
public class BlobRange
{
    public string Digest { get; set; } = "";

    public string RangeDigest { get; set; } = "";
}

/// <summary>A stored range whose entries are not in <see cref="BlobRange"/> yet; written with the range, removed once it is indexed.</summary>
public class UnindexedRange
{
    public string RangeDigest { get; set; } = "";
}

public class BlobRangeConfiguration : IEntityTypeConfiguration<BlobRange>
{
    public void Configure(EntityTypeBuilder<BlobRange> builder)
    {
        builder.HasKey(b => new { b.Digest, b.RangeDigest });
        builder.Property(b => b.Digest).HasMaxLength(64).IsFixedLength().IsUnicode(false);
        builder.Property(b => b.RangeDigest).HasMaxLength(64).IsFixedLength().IsUnicode(false);
        // Also the index that removing a range's rows uses.
        builder.HasOne<ManifestRange>().WithMany().HasForeignKey(b => b.RangeDigest).OnDelete(DeleteBehavior.Cascade);
    }
}

public class UnindexedRangeConfiguration : IEntityTypeConfiguration<UnindexedRange>
{
    public void Configure(EntityTypeBuilder<UnindexedRange> builder)
    {
        builder.HasKey(u => u.RangeDigest);
        builder.Property(u => u.RangeDigest).HasMaxLength(64).IsFixedLength().IsUnicode(false);
        builder.HasOne<ManifestRange>().WithOne().HasForeignKey<UnindexedRange>(u => u.RangeDigest).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>
/// Reverse look-ups over <see cref="BlobRange"/> plus the ranges not indexed yet (few: the indexer follows uploads
/// within seconds), read entry by entry through the range key.
/// </summary>
internal static class BlobRangeIndex
{
    /// <summary>Digests of the ranges with an entry naming <paramref name="digest"/>.</summary>
    public static IQueryable<string> RangesNaming(PortalDbContext db, string digest) =>
        db.BlobRanges.Where(b => b.Digest == digest).Select(b => b.RangeDigest)
            // Union, not concatenation: a range can be in both for a moment, when another process indexed it first.
            .Union(db.UnindexedRanges
                .Where(u => db.RangeEntries.Any(e => e.RangeDigest == u.RangeDigest && e.Digest == digest))
                .Select(u => u.RangeDigest));

    /// <summary>The entries, in any range, naming <paramref name="digest"/>.</summary>
    public static IQueryable<RangeEntry> EntriesNaming(PortalDbContext db, string digest)
    {
        var ranges = RangesNaming(db, digest);
        return db.RangeEntries.Where(e => ranges.Contains(e.RangeDigest) && e.Digest == digest);
    }

    /// <summary>Which of <paramref name="digests"/> some range names.</summary>
    public static async Task<HashSet<string>> NamedAmongAsync(PortalDbContext db, IReadOnlyCollection<string> digests, CancellationToken ct)
    {
        var named = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in digests.Chunk(BlobUploads.LookupChunk))
        {
            named.UnionWith(await db.BlobRanges.AsNoTracking().Where(b => chunk.Contains(b.Digest)).Select(b => b.Digest).ToListAsync(ct));
            named.UnionWith(await db.UnindexedRanges.AsNoTracking()
                .Join(db.RangeEntries, u => u.RangeDigest, e => e.RangeDigest, (u, e) => e.Digest)
                .Where(d => chunk.Contains(d))
                .ToListAsync(ct));
            // An evaluation's rows blob is named by the evaluation rather than by a range.
            named.UnionWith(await db.Evaluations.AsNoTracking().Where(e => chunk.Contains(e.RowsDigest)).Select(e => e.RowsDigest).ToListAsync(ct));
        }
        return named;
    }

    /// <summary>The blobs some range (or an evaluation, for its rows) names.</summary>
    public static IQueryable<StoredBlob> WhereNamed(this IQueryable<StoredBlob> blobs, PortalDbContext db) =>
        blobs.Where(b => db.BlobRanges.Any(x => x.Digest == b.Digest)
            || db.UnindexedRanges.Any(u => db.RangeEntries.Any(e => e.RangeDigest == u.RangeDigest && e.Digest == b.Digest))
            || db.Evaluations.Any(e => e.RowsDigest == b.Digest));

    /// <summary>The blobs no range and no evaluation names.</summary>
    public static IQueryable<StoredBlob> WhereNotNamed(this IQueryable<StoredBlob> blobs, PortalDbContext db) =>
        blobs.Where(b => !db.BlobRanges.Any(x => x.Digest == b.Digest)
            && !db.UnindexedRanges.Any(u => db.RangeEntries.Any(e => e.RangeDigest == u.RangeDigest && e.Digest == b.Digest))
            && !db.Evaluations.Any(e => e.RowsDigest == b.Digest));
}
