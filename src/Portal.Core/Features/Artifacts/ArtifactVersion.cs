using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Features.Access;
using Portal.Core.Features.Runs;

namespace Portal.Core.Features.Artifacts;

public enum VersionState
{
    Pending = 0,
    Committed = 1,
    Failed = 2,
    Deleted = 3,
}

/// <summary>
/// One immutable version of an artifact. It is <see cref="VersionState.Pending"/> while its blobs upload and gets its
/// <c>vN</c> <see cref="Index"/> only when committed.
/// </summary>
public class ArtifactVersion
{
    public Guid Id { get; set; }

    public Guid ArtifactId { get; set; }

    public Artifact Artifact { get; set; } = null!;

    /// <summary>The N of <c>vN</c>; null until committed.</summary>
    public int? Index { get; set; }

    /// <summary>SHA-256 (lower-case hex) of the manifest's range digests.</summary>
    public string ManifestDigest { get; set; } = "";

    public VersionState State { get; set; }

    public long FileCount { get; set; }

    public long TotalSize { get; set; }

    public string MetadataJson { get; set; } = "{}";

    /// <summary>Markdown; rendered only through the sanitiser.</summary>
    public string Description { get; set; } = "";

    public Guid? CreatedByRunId { get; set; }

    public Run? CreatedByRun { get; set; }

    public string? CreatedById { get; set; }

    public PortalUser? CreatedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? CommittedAt { get; set; }

    /// <summary>When retention may remove this version (never while a custom alias points at it).</summary>
    public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>Aliases the client asked for when creating the version; applied at commit.</summary>
    public string RequestedAliasesJson { get; set; } = "[]";
}

public class ArtifactVersionConfiguration : IEntityTypeConfiguration<ArtifactVersion>
{
    public void Configure(EntityTypeBuilder<ArtifactVersion> builder)
    {
        builder.HasKey(v => v.Id);
        builder.Property(v => v.ManifestDigest).HasMaxLength(64).IsFixedLength().IsUnicode(false);
        builder.Property(v => v.State).HasConversion<string>().HasMaxLength(16);
        builder.Property(v => v.Description).HasMaxLength(20000);
        builder.HasOne(v => v.Artifact).WithMany(a => a.Versions).HasForeignKey(v => v.ArtifactId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(v => v.CreatedByRun).WithMany().HasForeignKey(v => v.CreatedByRunId).OnDelete(DeleteBehavior.SetNull);
        builder.HasOne(v => v.CreatedBy).WithMany().HasForeignKey(v => v.CreatedById).OnDelete(DeleteBehavior.SetNull);
        // vN is unique per artifact once assigned (pending versions have no index yet).
        builder.HasIndex(v => new { v.ArtifactId, v.Index }).IsUnique();
        builder.HasIndex(v => v.ManifestDigest);
        builder.HasIndex(v => new { v.State, v.CreatedAt });
        builder.HasIndex(v => v.CreatedByRunId);
    }
}
