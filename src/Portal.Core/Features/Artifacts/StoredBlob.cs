using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Core.Features.Artifacts;

/// <summary>
/// A blob the store holds, recorded after its bytes were verified and renamed into place. Asking which digests are
/// missing is an index look-up here rather than a million file-system probes.
/// </summary>
public class StoredBlob
{
    public string Digest { get; set; } = "";

    public long Size { get; set; }

    public DateTimeOffset StoredAt { get; set; }

    public DateTimeOffset? VerifiedAt { get; set; }

    /// <summary>Set by the integrity scrub when the bytes on disk no longer hash to <see cref="Digest"/>.</summary>
    public bool Corrupt { get; set; }

    /// <summary>
    /// Since when no manifest names this blob, as last seen by garbage collection (null while it is referenced); it is
    /// deleted only after the grace period.
    /// </summary>
    public DateTimeOffset? UnreferencedSince { get; set; }

    /// <summary>The pack holding the blob's bytes, or null when the blob is an object of its own.</summary>
    public string? PackDigest { get; set; }

    /// <summary>Where the blob's <see cref="Size"/> bytes start in its pack.</summary>
    public long? PackOffset { get; set; }
}

public class StoredBlobConfiguration : IEntityTypeConfiguration<StoredBlob>
{
    public void Configure(EntityTypeBuilder<StoredBlob> builder)
    {
        builder.HasKey(b => b.Digest);
        builder.Property(b => b.Digest).HasMaxLength(64).IsFixedLength().IsUnicode(false);
        // The integrity scrub resumes with the oldest-verified blobs.
        builder.HasIndex(b => b.VerifiedAt);
        builder.Property(b => b.PackDigest).HasMaxLength(64).IsFixedLength().IsUnicode(false);
        // Garbage collection weighs each pack's live bytes.
        builder.HasIndex(b => b.PackDigest);
        builder.HasOne<Packs.BlobPack>().WithMany().HasForeignKey(b => b.PackDigest).OnDelete(DeleteBehavior.Restrict);
    }
}
