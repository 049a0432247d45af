using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Projects;
using Portal.Core.Features.Validation;

namespace Portal.Core.Features.Compare;

/// <summary>
/// A compare report between two versions (made on every commit against the previous version, and on demand): its
/// job state, then the report itself as JSON. One row per (from, to, key column), so a re-run cannot duplicate it.
/// </summary>
public class CompareReport
{
    public Guid Id { get; set; }

    public Guid ProjectId { get; set; }

    public Guid FromVersionId { get; set; }

    public Guid ToVersionId { get; set; }

    /// <summary>The column rows are keyed by; "" picks id/key/uuid when the rows have one.</summary>
    public string KeyColumn { get; set; } = "";

    public BackgroundJobState State { get; set; }

    public Guid? ClaimId { get; set; }

    public double Progress { get; set; }

    public string Summary { get; set; } = "";

    /// <summary>The <c>CompareReportResponse</c> body (without its summary) once finished.</summary>
    public string? ReportJson { get; set; }

    public DateTimeOffset QueuedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? HeartbeatAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public int Attempts { get; set; }
}

public class CompareReportConfiguration : IEntityTypeConfiguration<CompareReport>
{
    public void Configure(EntityTypeBuilder<CompareReport> builder)
    {
        builder.HasKey(r => r.Id);
        builder.Property(r => r.KeyColumn).HasMaxLength(200);
        builder.Property(r => r.State).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.Summary).HasMaxLength(1000);
        builder.HasOne<ArtifactVersion>().WithMany().HasForeignKey(r => r.ToVersionId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<ArtifactVersion>().WithMany().HasForeignKey(r => r.FromVersionId).OnDelete(DeleteBehavior.NoAction);
        builder.HasOne<Project>().WithMany().HasForeignKey(r => r.ProjectId).OnDelete(DeleteBehavior.NoAction);
        builder.HasIndex(r => new { r.FromVersionId, r.ToVersionId, r.KeyColumn }).IsUnique();
        builder.HasIndex(r => new { r.ToVersionId, r.State });
        builder.HasIndex(r => new { r.State, r.QueuedAt });
    }
}
