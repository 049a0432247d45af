using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Projects;

namespace Portal.Core.Features.Evaluations;

/// <summary>
/// A finished evaluation of one committed version (the subject) on one eval-set version, pinned by id whatever alias
/// named it. Immutable: it is written whole by <see cref="LogEvaluation"/> and never changed. The per-example rows are
/// one content-addressed blob (canonical NDJSON sorted by example id, <see cref="EvaluationRowsFile"/>), so comparing two
/// evaluations is a merge of two sorted streams; the aggregates are rows of <see cref="EvaluationScore"/>.
/// </summary>
public class Evaluation
{
    public Guid Id { get; set; }

    public Guid ProjectId { get; set; }

    public string? Name { get; set; }

    public Guid SubjectArtifactId { get; set; }

    public Guid SubjectVersionId { get; set; }

    /// <summary>How the logger named the subject (<c>index:staging</c>).</summary>
    public string SubjectSpec { get; set; } = "";

    public Guid EvalSetArtifactId { get; set; }

    public Guid EvalSetVersionId { get; set; }

    /// <summary>How the logger named the eval set (<c>golden:production</c>); the id above is what it meant then.</summary>
    public string EvalSetSpec { get; set; } = "";

    public long ExampleCount { get; set; }

    public double? LatencyP50Ms { get; set; }

    public double? LatencyP95Ms { get; set; }

    public long TotalTokens { get; set; }

    public string RowsDigest { get; set; } = "";

    public long RowsSize { get; set; }

    public Guid? RunId { get; set; }

    public string CreatedById { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public List<EvaluationScore> Scores { get; set; } = [];
}

/// <summary>One scorer's aggregate over an evaluation's rows, computed by the server.</summary>
public class EvaluationScore
{
    public Guid EvaluationId { get; set; }

    public string Scorer { get; set; } = "";

    /// <summary>Position of the scorer in the evaluation's header.</summary>
    public int Ordinal { get; set; }

    public long Count { get; set; }

    public double? Mean { get; set; }

    public double? Min { get; set; }

    public double? Max { get; set; }
}

public class EvaluationConfiguration : IEntityTypeConfiguration<Evaluation>
{
    public void Configure(EntityTypeBuilder<Evaluation> builder)
    {
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Name).HasMaxLength(128);
        builder.Property(e => e.SubjectSpec).HasMaxLength(300);
        builder.Property(e => e.EvalSetSpec).HasMaxLength(300);
        builder.Property(e => e.RowsDigest).HasMaxLength(64).IsFixedLength().IsUnicode(false);
        builder.Property(e => e.CreatedById).HasMaxLength(450);
        builder.HasOne<Project>().WithMany().HasForeignKey(e => e.ProjectId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<ArtifactVersion>().WithMany().HasForeignKey(e => e.SubjectVersionId).OnDelete(DeleteBehavior.NoAction);
        builder.HasOne<ArtifactVersion>().WithMany().HasForeignKey(e => e.EvalSetVersionId).OnDelete(DeleteBehavior.NoAction);
        builder.HasMany(e => e.Scores).WithOne().HasForeignKey(s => s.EvaluationId).OnDelete(DeleteBehavior.Cascade);
        // The project's list, newest first; the matrix of one subject artifact; the crossings of attribution and the gate.
        builder.HasIndex(e => new { e.ProjectId, e.CreatedAt });
        builder.HasIndex(e => new { e.SubjectArtifactId, e.CreatedAt });
        builder.HasIndex(e => new { e.SubjectVersionId, e.EvalSetVersionId, e.CreatedAt });
        // Garbage collection keeps the rows blobs evaluations name.
        builder.HasIndex(e => e.RowsDigest);
    }
}

public class EvaluationScoreConfiguration : IEntityTypeConfiguration<EvaluationScore>
{
    public void Configure(EntityTypeBuilder<EvaluationScore> builder)
    {
        builder.HasKey(s => new { s.EvaluationId, s.Scorer });
        builder.Property(s => s.Scorer).HasMaxLength(128);
    }
}
