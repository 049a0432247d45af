using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Core.Features.Artifacts;

/// <summary>The ordered list of ranges that make up one version's manifest.</summary>
public class VersionRange
{
    public Guid VersionId { get; set; }

    public int Ordinal { get; set; }

    public string RangeDigest { get; set; } = "";
}

public class VersionRangeConfiguration : IEntityTypeConfiguration<VersionRange>
{
    public void Configure(EntityTypeBuilder<VersionRange> builder)
    {
        builder.HasKey(r => new { r.VersionId, r.Ordinal });
        builder.Property(r => r.RangeDigest).HasMaxLength(64).IsFixedLength().IsUnicode(false);
        builder.HasOne<ArtifactVersion>().WithMany().HasForeignKey(r => r.VersionId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<ManifestRange>().WithMany().HasForeignKey(r => r.RangeDigest).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(r => r.RangeDigest);
    }
}
