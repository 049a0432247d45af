using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Runs;

namespace Portal.Core.Features.Lineage;

public enum LineageDirection
{
    /// <summary>The run read the version.</summary>
    Used = 0,

    /// <summary>The run wrote the version.</summary>
    Produced = 1,
}

/// <summary>An edge of the bipartite lineage graph: run —used→ version, or run —produced→ version.</summary>
public class LineageEdge
{
    public long Id { get; set; }

    public Guid ProjectId { get; set; }

    public Guid RunId { get; set; }

    public Run Run { get; set; } = null!;

    public Guid VersionId { get; set; }

    public ArtifactVersion Version { get; set; } = null!;

    public LineageDirection Direction { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

public class LineageEdgeConfiguration : IEntityTypeConfiguration<LineageEdge>
{
    public void Configure(EntityTypeBuilder<LineageEdge> builder)
    {
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Direction).HasConversion<string>().HasMaxLength(16);
        builder.HasOne(e => e.Run).WithMany().HasForeignKey(e => e.RunId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(e => e.Version).WithMany().HasForeignKey(e => e.VersionId).OnDelete(DeleteBehavior.Restrict);
        // Walked both ways: from a run to its versions and from a version to its runs.
        builder.HasIndex(e => new { e.RunId, e.Direction, e.VersionId }).IsUnique();
        builder.HasIndex(e => new { e.VersionId, e.Direction, e.RunId });
        builder.HasIndex(e => e.ProjectId);
    }
}
