using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Core.Features.Artifacts.Packs;

/// <summary>
/// A pack: many small blobs appended to one object of the blob store, named (like every object there) by the SHA-256
/// of its bytes. Which blob lies where is in <see cref="StoredBlob.PackDigest"/> and <see cref="StoredBlob.PackOffset"/>;
/// the pack's own trailer repeats it (see <see cref="PackFormat"/>), so a store can be re-indexed without the database.
/// </summary>
/// <remarks>
/// Storing a small blob as an object of its own costs a file (or request) and a flush per blob, which is most of the
/// work of uploading a corpus of small files; a pack costs one of each for thousands of blobs.
/// </remarks>
public class BlobPack
{
    public string Digest { get; set; } = "";

    /// <summary>Bytes of the whole object, trailer included.</summary>
    public long Size { get; set; }

    /// <summary>Blobs written into the pack (some may have died since).</summary>
    public int BlobCount { get; set; }

    /// <summary>Bytes of those blobs (the size without the trailer): what the share of live bytes is measured against.</summary>
    public long BlobBytes { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>
    /// Set when garbage collection moved the pack's live blobs elsewhere; the object is deleted one grace period
    /// later, so reads that looked up the old place just before still find it.
    /// </summary>
    public DateTimeOffset? RetiredAt { get; set; }
}

public class BlobPackConfiguration : IEntityTypeConfiguration<BlobPack>
{
    public void Configure(EntityTypeBuilder<BlobPack> builder)
    {
        builder.HasKey(p => p.Digest);
        builder.Property(p => p.Digest).HasMaxLength(64).IsFixedLength().IsUnicode(false);
        builder.HasIndex(p => p.RetiredAt);
    }
}
