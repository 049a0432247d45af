using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Features.Projects;

namespace Portal.Core.Features.Access;

public class ProjectMembership
{
    public Guid ProjectId { get; set; }

    public Project Project { get; set; } = null!;

    public string UserId { get; set; } = "";

    public PortalUser User { get; set; } = null!;

    public ProjectRole Role { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

public class ProjectMembershipConfiguration : IEntityTypeConfiguration<ProjectMembership>
{
    public void Configure(EntityTypeBuilder<ProjectMembership> builder)
    {
        builder.HasKey(m => new { m.ProjectId, m.UserId });
        builder.HasIndex(m => m.UserId);
        builder.Property(m => m.Role).HasConversion<string>().HasMaxLength(16);
        builder.HasOne(m => m.Project).WithMany(p => p.Members).HasForeignKey(m => m.ProjectId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(m => m.User).WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
