using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Core.Features.Artifacts;

/// <summary>One file of a manifest range.</summary>
public class RangeEntry
{
    public string RangeDigest { get; set; } = "";

    public int Ordinal { get; set; }

    public string Path { get; set; } = "";

    public string Digest { get; set; } = "";

    public long Size { get; set; }

    /// <summary>External URI for reference entries; the bytes are not in the blob store.</summary>
    public string? Ref { get; set; }

    public string? ExtraJson { get; set; }
}

public class RangeEntryConfiguration : IEntityTypeConfiguration<RangeEntry>
{
    public void Configure(EntityTypeBuilder<RangeEntry> builder)
    {
        builder.HasKey(e => new { e.RangeDigest, e.Ordinal });
        builder.Property(e => e.RangeDigest).HasMaxLength(64).IsFixedLength().IsUnicode(false);
        builder.Property(e => e.Path).HasMaxLength(1024);
        builder.Property(e => e.Digest).HasMaxLength(64).IsFixedLength().IsUnicode(false);
        builder.Property(e => e.Ref).HasMaxLength(2048);
        builder.HasOne<ManifestRange>().WithMany().HasForeignKey(e => e.RangeDigest).OnDelete(DeleteBehavior.Cascade);
        // No index on Digest: "which ranges name this blob?" is BlobRange's job, filled after the range is stored.
    }
}
