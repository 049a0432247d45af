using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Features.Access;
using Portal.Core.Features.Projects;

namespace Portal.Core.Features.Reports;

public enum DigestFrequency
{
    Daily = 1,
    Weekly = 2,
}

/// <summary>
/// One user's e-mail digest of one project: daily at <see cref="HourUtc"/>, or weekly on <see cref="WeekDay"/> at that
/// hour. Each user subscribes only themselves, once per project.
/// </summary>
public class DigestSubscription
{
    public Guid Id { get; set; }

    public Guid ProjectId { get; set; }

    public string UserId { get; set; } = "";

    public DigestFrequency Frequency { get; set; }

    /// <summary>The hour of the day (UTC, 0–23) the digest is due.</summary>
    public int HourUtc { get; set; }

    /// <summary>The day a weekly digest is due (ignored for daily ones).</summary>
    public DayOfWeek WeekDay { get; set; } = DayOfWeek.Monday;

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The end of the period the last digest covered; the next one starts there.</summary>
    public DateTimeOffset? LastPeriodEnd { get; set; }
}

public enum DigestOutcome
{
    /// <summary>Claimed by a job run that is composing or sending it.</summary>
    Sending = 1,

    Sent = 2,

    /// <summary>Nothing happened in the period: no mail.</summary>
    Empty = 3,

    Failed = 4,
}

/// <summary>
/// One digest of one subscription, for the period ending at <see cref="PeriodEnd"/>. The unique (subscription,
/// period end) key is what makes the recurring job idempotent: a second run for the same period cannot claim it.
/// </summary>
public class DigestDelivery
{
    public long Id { get; set; }

    public Guid SubscriptionId { get; set; }

    public DateTimeOffset PeriodStart { get; set; }

    public DateTimeOffset PeriodEnd { get; set; }

    /// <summary>True when a person pressed "Send now"; false for the schedule.</summary>
    public bool Manual { get; set; }

    public DigestOutcome Outcome { get; set; }

    /// <summary>How many items the digest listed.</summary>
    public int ItemCount { get; set; }

    public string? Error { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }
}

public class DigestSubscriptionConfiguration : IEntityTypeConfiguration<DigestSubscription>
{
    public void Configure(EntityTypeBuilder<DigestSubscription> builder)
    {
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Frequency).HasConversion<string>().HasMaxLength(16);
        builder.Property(s => s.WeekDay).HasConversion<string>().HasMaxLength(16);
        builder.HasOne<Project>().WithMany().HasForeignKey(s => s.ProjectId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<PortalUser>().WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(s => new { s.ProjectId, s.UserId }).IsUnique();
        builder.HasIndex(s => s.UserId);
    }
}

public class DigestDeliveryConfiguration : IEntityTypeConfiguration<DigestDelivery>
{
    public void Configure(EntityTypeBuilder<DigestDelivery> builder)
    {
        builder.HasKey(d => d.Id);
        builder.Property(d => d.Outcome).HasConversion<string>().HasMaxLength(16);
        builder.Property(d => d.Error).HasMaxLength(2000);
        builder.HasOne<DigestSubscription>().WithMany().HasForeignKey(d => d.SubscriptionId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(d => new { d.SubscriptionId, d.PeriodEnd }).IsUnique();
    }
}
