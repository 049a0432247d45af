using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Features.Artifacts;

namespace Portal.Core.Features.Maintenance;

public enum IntegrityProblem
{
    /// <summary>The stored bytes no longer hash to the blob's name.</summary>
    Corrupt = 0,

    /// <summary>The blob store no longer holds the file.</summary>
    Missing = 1,
}

/// <summary>A version whose manifest names a blob the integrity scrub found corrupt or missing: one row per (version, blob).</summary>
public class VersionIntegrityFlag
{
    public Guid VersionId { get; set; }

    public string Digest { get; set; } = "";

    /// <summary>A path of the version that holds the blob (the first one found).</summary>
    public string Path { get; set; } = "";

    public IntegrityProblem Problem { get; set; }

    public DateTimeOffset DetectedAt { get; set; }

    /// <summary>The scrub run that found it.</summary>
    public long RunId { get; set; }
}

public class VersionIntegrityFlagConfiguration : IEntityTypeConfiguration<VersionIntegrityFlag>
{
    public void Configure(EntityTypeBuilder<VersionIntegrityFlag> builder)
    {
        builder.HasKey(f => new { f.VersionId, f.Digest });
        builder.Property(f => f.Digest).HasMaxLength(64).IsFixedLength().IsUnicode(false);
        builder.Property(f => f.Path).HasMaxLength(1024);
        builder.Property(f => f.Problem).HasConversion<string>().HasMaxLength(16);
        builder.HasOne<ArtifactVersion>().WithMany().HasForeignKey(f => f.VersionId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(f => f.Digest);
    }
}
