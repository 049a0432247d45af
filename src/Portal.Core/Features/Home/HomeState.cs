using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Features.Access;

namespace Portal.Core.Features.Home;

/// <summary>
/// Where a person's "since I last looked" starts: the newest project event they marked as seen. One row per person,
/// written only by "mark as seen", so opening the page changes nothing.
/// </summary>
public class HomeState
{
    public string UserId { get; set; } = "";

    public PortalUser User { get; set; } = null!;

    /// <summary>Events with a larger id are new to this person.</summary>
    public long LastSeenEventId { get; set; }

    public DateTimeOffset SeenAt { get; set; }
}

public enum PinKind
{
    Artifact = 1,
    Run = 2,
}

/// <summary>Something a person keeps on their home page: an artifact or a run of a project they can read.</summary>
public class Pin
{
    public Guid Id { get; set; }

    public string UserId { get; set; } = "";

    public PortalUser User { get; set; } = null!;

    public Guid ProjectId { get; set; }

    public PinKind Kind { get; set; }

    /// <summary>The artifact's or the run's id.</summary>
    public Guid TargetId { get; set; }

    public DateTimeOffset PinnedAt { get; set; }
}

public class HomeStateConfiguration : IEntityTypeConfiguration<HomeState>
{
    public void Configure(EntityTypeBuilder<HomeState> builder)
    {
        builder.ToTable("HomeStates");
        builder.HasKey(s => s.UserId);
        builder.Property(s => s.UserId).HasMaxLength(450);
        builder.HasOne(s => s.User).WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

public class PinConfiguration : IEntityTypeConfiguration<Pin>
{
    public void Configure(EntityTypeBuilder<Pin> builder)
    {
        builder.ToTable("Pins");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.UserId).HasMaxLength(450);
        builder.Property(p => p.Kind).HasConversion<string>().HasMaxLength(16);
        builder.HasOne(p => p.User).WithMany().HasForeignKey(p => p.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Projects.Project>().WithMany().HasForeignKey(p => p.ProjectId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(p => new { p.UserId, p.Kind, p.TargetId }).IsUnique();
    }
}
