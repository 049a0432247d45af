using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Features.Projects;

namespace Portal.Core.Features.Artifacts;

/// <summary>A named collection of versions, such as a dataset, a document set or a model.</summary>
public class Artifact
{
    public Guid Id { get; set; }

    public Guid ProjectId { get; set; }

    public Project Project { get; set; } = null!;

    /// <summary><c>[A-Za-z0-9._-]{1,128}</c>, unique in the project.</summary>
    public string Name { get; set; } = "";

    /// <summary><c>dataset</c>, <c>documents</c>, <c>chunks</c>, <c>index</c>, <c>model</c>, … (a lower-case word).</summary>
    public string Type { get; set; } = "";

    public string Description { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The next <c>vN</c> index; advanced in the committing transaction so indexes never repeat or skip.</summary>
    public int NextVersionIndex { get; set; }

    public List<ArtifactVersion> Versions { get; set; } = [];
}

public class ArtifactConfiguration : IEntityTypeConfiguration<Artifact>
{
    public void Configure(EntityTypeBuilder<Artifact> builder)
    {
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Name).HasMaxLength(128).IsUnicode(false);
        builder.Property(a => a.Type).HasMaxLength(64).IsUnicode(false);
        builder.Property(a => a.Description).HasMaxLength(8000);
        builder.Property(a => a.NextVersionIndex).IsConcurrencyToken();
        builder.HasIndex(a => new { a.ProjectId, a.Name }).IsUnique();
        builder.HasIndex(a => new { a.ProjectId, a.Type });
        builder.HasOne(a => a.Project).WithMany().HasForeignKey(a => a.ProjectId).OnDelete(DeleteBehavior.Cascade);
    }
}
