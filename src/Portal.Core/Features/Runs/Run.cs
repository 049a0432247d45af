using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Features.Access;
using Portal.Core.Features.Projects;

namespace Portal.Core.Features.Runs;

public enum RunStatus
{
    Running = 0,
    Finished = 1,
    Failed = 2,
    Crashed = 3,

    /// <summary>Stopped by a signal (Ctrl+C, SIGTERM) passed on by <c>portal run exec</c>.</summary>
    Killed = 4,
}

/// <summary>One execution of pipeline code.</summary>
public class Run
{
    public Guid Id { get; set; }

    public Guid ProjectId { get; set; }

    public Project Project { get; set; } = null!;

    public string Name { get; set; } = "";

    /// <summary>What the run does: <c>data_upload</c>, <c>model_training</c>, …</summary>
    public string JobType { get; set; } = "";

    public RunStatus Status { get; set; }

    public string ConfigJson { get; set; } = "{}";

    public string SummaryJson { get; set; } = "{}";

    public string? GitCommit { get; set; }

    public string? GitRemote { get; set; }

    public string? Host { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public string? CreatedById { get; set; }

    public PortalUser? CreatedBy { get; set; }
}

public class RunConfiguration : IEntityTypeConfiguration<Run>
{
    public void Configure(EntityTypeBuilder<Run> builder)
    {
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Name).HasMaxLength(200);
        builder.Property(r => r.JobType).HasMaxLength(64).IsUnicode(false);
        builder.Property(r => r.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.GitCommit).HasMaxLength(64).IsUnicode(false);
        builder.Property(r => r.GitRemote).HasMaxLength(1024);
        builder.Property(r => r.Host).HasMaxLength(256);
        builder.HasOne(r => r.Project).WithMany().HasForeignKey(r => r.ProjectId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(r => r.CreatedBy).WithMany().HasForeignKey(r => r.CreatedById).OnDelete(DeleteBehavior.SetNull);
        // Run lists page and filter by project, newest first.
        builder.HasIndex(r => new { r.ProjectId, r.StartedAt });
        builder.HasIndex(r => new { r.ProjectId, r.JobType, r.StartedAt });
        builder.HasIndex(r => new { r.ProjectId, r.Status, r.StartedAt });
    }
}
