using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Core.Features.Runs;

/// <summary>One point of a run's metric history.</summary>
public class RunMetricPoint
{
    public long Id { get; set; }

    public Guid RunId { get; set; }

    public string Key { get; set; } = "";

    public long Step { get; set; }

    public double Value { get; set; }

    public DateTimeOffset LoggedAt { get; set; }
}

public class RunMetricPointConfiguration : IEntityTypeConfiguration<RunMetricPoint>
{
    public void Configure(EntityTypeBuilder<RunMetricPoint> builder)
    {
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Key).HasMaxLength(128);
        builder.HasOne<Run>().WithMany().HasForeignKey(p => p.RunId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(p => new { p.RunId, p.Key, p.Step });
    }
}
