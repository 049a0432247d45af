using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Core.Features.Artifacts;

/// <summary>A name pointing at one version of an artifact: <c>latest</c>, <c>staging</c>, <c>production</c>, ….</summary>
public class ArtifactAlias
{
    public Guid Id { get; set; }

    public Guid ArtifactId { get; set; }

    public string Name { get; set; } = "";

    public Guid VersionId { get; set; }

    public ArtifactVersion Version { get; set; } = null!;

    public DateTimeOffset UpdatedAt { get; set; }
}

public class ArtifactAliasConfiguration : IEntityTypeConfiguration<ArtifactAlias>
{
    public void Configure(EntityTypeBuilder<ArtifactAlias> builder)
    {
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Name).HasMaxLength(128).IsUnicode(false);
        builder.HasIndex(a => new { a.ArtifactId, a.Name }).IsUnique();
        builder.HasIndex(a => a.VersionId);
        builder.HasOne<Artifact>().WithMany().HasForeignKey(a => a.ArtifactId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(a => a.Version).WithMany().HasForeignKey(a => a.VersionId).OnDelete(DeleteBehavior.Restrict);
    }
}
