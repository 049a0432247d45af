using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Core.Features.Maintenance;

public enum MaintenanceRunState
{
    Queued = 0,
    Running = 1,
    Succeeded = 2,
    Failed = 3,
}

/// <summary>
/// The report of one maintenance job run. The row is written before the job is queued and the job takes its id, so a
/// job that Hangfire runs again (a retry, a worker that died) finds its own row: a succeeded run is not repeated.
/// </summary>
public class MaintenanceRun
{
    public long Id { get; set; }

    /// <summary>One of <see cref="Client.Models.MaintenanceJobNames"/>.</summary>
    public string Job { get; set; } = "";

    /// <summary><c>schedule</c>, or <c>manual</c> for "run now".</summary>
    public string Trigger { get; set; } = "";

    public string? RequestedById { get; set; }

    public MaintenanceRunState State { get; set; }

    /// <summary>How many times a worker started this run (more than one after a crash or retry).</summary>
    public int Attempts { get; set; }

    public DateTimeOffset QueuedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public long Examined { get; set; }

    public long Affected { get; set; }

    public string? Error { get; set; }

    public string DetailsJson { get; set; } = "{}";
}

public class MaintenanceRunConfiguration : IEntityTypeConfiguration<MaintenanceRun>
{
    public void Configure(EntityTypeBuilder<MaintenanceRun> builder)
    {
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Job).HasMaxLength(32).IsUnicode(false);
        builder.Property(r => r.Trigger).HasMaxLength(16).IsUnicode(false);
        builder.Property(r => r.State).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.Error).HasMaxLength(4000);
        builder.HasIndex(r => new { r.Job, r.QueuedAt });
        builder.HasIndex(r => r.QueuedAt);
    }
}
