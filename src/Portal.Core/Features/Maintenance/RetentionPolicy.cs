using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Features.Projects;

namespace Portal.Core.Features.Maintenance;

/// <summary>
/// How long a project keeps committed versions of one artifact type; <see cref="AnyType"/> covers the types without a
/// policy of their own.
/// </summary>
public class RetentionPolicy
{
    public const string AnyType = "*";

    public Guid ProjectId { get; set; }

    public string ArtifactType { get; set; } = AnyType;

    public int KeepDays { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public string? UpdatedById { get; set; }
}

public class RetentionPolicyConfiguration : IEntityTypeConfiguration<RetentionPolicy>
{
    public void Configure(EntityTypeBuilder<RetentionPolicy> builder)
    {
        builder.HasKey(p => new { p.ProjectId, p.ArtifactType });
        builder.Property(p => p.ArtifactType).HasMaxLength(64).IsUnicode(false);
        builder.HasOne<Project>().WithMany().HasForeignKey(p => p.ProjectId).OnDelete(DeleteBehavior.Cascade);
    }
}
