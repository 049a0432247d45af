using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Features.Access;
using Portal.Core.Features.Projects;

namespace Portal.Core.Features.Promotions;

/// <summary>
/// The rules for one alias name in a project (for every artifact of the project). An alias with a policy is
/// protected: it moves only through an approved <see cref="PromotionRequest"/>.
/// </summary>
public class PromotionPolicy
{
    public Guid Id { get; set; }

    public Guid ProjectId { get; set; }

    public string AliasName { get; set; } = "";

    /// <summary>Distinct approvers needed, at least 1. The requester never counts.</summary>
    public int RequiredApprovals { get; set; } = 1;

    /// <summary>Lowest project role that may approve.</summary>
    public ProjectRole ApproverRole { get; set; } = ProjectRole.Reviewer;

    public bool RequireValidation { get; set; }

    public bool RequireCompareReport { get; set; }

    /// <summary>The version must have been at this alias before (e.g. <c>staging</c> before <c>production</c>).</summary>
    public string? RequiredSourceAlias { get; set; }

    /// <summary>Evaluation gate: the eval set (<c>golden:production</c>), null when the policy has no gate.</summary>
    public string? EvaluationSet { get; set; }

    public string? EvaluationMetric { get; set; }

    public double? EvaluationThreshold { get; set; }

    public double? EvaluationMaxDrop { get; set; }

    public string UpdatedById { get; set; } = "";

    public DateTimeOffset UpdatedAt { get; set; }
}

public class PromotionPolicyConfiguration : IEntityTypeConfiguration<PromotionPolicy>
{
    public void Configure(EntityTypeBuilder<PromotionPolicy> builder)
    {
        builder.HasKey(p => p.Id);
        builder.Property(p => p.AliasName).HasMaxLength(128).IsUnicode(false);
        builder.Property(p => p.RequiredSourceAlias).HasMaxLength(128).IsUnicode(false);
        builder.Property(p => p.EvaluationSet).HasMaxLength(300);
        builder.Property(p => p.EvaluationMetric).HasMaxLength(128);
        builder.Property(p => p.ApproverRole).HasConversion<string>().HasMaxLength(16);
        builder.HasIndex(p => new { p.ProjectId, p.AliasName }).IsUnique();
        builder.HasOne<Project>().WithMany().HasForeignKey(p => p.ProjectId).OnDelete(DeleteBehavior.Cascade);
    }
}
