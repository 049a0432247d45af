using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Features.Access;

namespace Portal.Core.Features.Projects;

/// <summary>What a project row stands for: a team's project, or a site-wide registry collection.</summary>
public enum ProjectKind
{
    Project = 0,

    /// <summary>
    /// A registry collection (<c>Features/Registry</c>): hidden from project lists, readable by every signed-in user,
    /// holding one artifact named like the collection whose versions are links to project versions.
    /// </summary>
    Registry = 1,
}

public class Project
{
    public Guid Id { get; set; }

    /// <summary>URL name, <c>[a-z0-9-]{1,64}</c>, unique.</summary>
    public string Slug { get; set; } = "";

    public string Name { get; set; } = "";

    public string Description { get; set; } = "";

    public ProjectKind Kind { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public string? CreatedById { get; set; }

    public List<ProjectMembership> Members { get; set; } = [];
}

public class ProjectConfiguration : IEntityTypeConfiguration<Project>
{
    public void Configure(EntityTypeBuilder<Project> builder)
    {
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Slug).HasMaxLength(64).IsUnicode(false);
        builder.HasIndex(p => p.Slug).IsUnique();
        builder.Property(p => p.Name).HasMaxLength(200);
        builder.Property(p => p.Description).HasMaxLength(4000);
        builder.HasIndex(p => p.Kind);
        builder.HasOne<PortalUser>().WithMany().HasForeignKey(p => p.CreatedById).OnDelete(DeleteBehavior.SetNull);
    }
}
