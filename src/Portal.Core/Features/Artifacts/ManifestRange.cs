using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Core.Features.Artifacts;

/// <summary>
/// A content-defined slice of a sorted manifest, stored once however many versions share it. Its digest is the
/// SHA-256 of its entries' canonical lines.
/// </summary>
public class ManifestRange
{
    public string Digest { get; set; } = "";

    public int EntryCount { get; set; }

    public long TotalSize { get; set; }

    public string FirstPath { get; set; } = "";

    public string LastPath { get; set; } = "";
}

public class ManifestRangeConfiguration : IEntityTypeConfiguration<ManifestRange>
{
    public void Configure(EntityTypeBuilder<ManifestRange> builder)
    {
        builder.HasKey(r => r.Digest);
        builder.Property(r => r.Digest).HasMaxLength(64).IsFixedLength().IsUnicode(false);
        builder.Property(r => r.FirstPath).HasMaxLength(1024);
        builder.Property(r => r.LastPath).HasMaxLength(1024);
    }
}
