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

    /// <summary>The folders holding the range's files (see <see cref="Manifests.RangeFolders"/>); null when too many, or stored before summaries.</summary>
    public string? Folders { get; set; }

    /// <summary>The row stored for a range just built.</summary>
    public static ManifestRange Of(Manifests.BuiltRange range) => new()
    {
        Digest = range.Digest,
        EntryCount = range.EntryCount,
        TotalSize = range.TotalSize,
        FirstPath = range.FirstPath,
        LastPath = range.LastPath,
        Folders = Manifests.RangeFolders.Summarise(range.Entries),
    };
}

public class ManifestRangeConfiguration : IEntityTypeConfiguration<ManifestRange>
{
    public void Configure(EntityTypeBuilder<ManifestRange> builder)
    {
        builder.HasKey(r => r.Digest);
        builder.Property(r => r.Digest).HasMaxLength(64).IsFixedLength().IsUnicode(false);
        builder.Property(r => r.FirstPath).HasMaxLength(1024);
        builder.Property(r => r.LastPath).HasMaxLength(1024);
        builder.Property(r => r.Folders).HasMaxLength(Manifests.RangeFolders.MaxLength);
    }
}
