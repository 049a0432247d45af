using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Projects;

namespace Portal.Core.Features.Promotions;

public enum PromotionState
{
    /// <summary>Waiting for approvals.</summary>
    Open = 0,

    /// <summary>Enough approvals, but a required check has not passed yet; applies once it has.</summary>
    Approved = 1,

    Applied = 2,
    Rejected = 3,
    Cancelled = 4,
}

public enum PromotionKind
{
    Promotion = 0,

    /// <summary>Back to the version the alias pointed at before.</summary>
    Rollback = 1,
}

/// <summary>
/// "Move alias A of an artifact to version V". Applying moves the alias in the same transaction as the state change;
/// <see cref="ExpectedFromVersionId"/> is where the alias pointed when the request was made, so a request whose alias
/// moved meanwhile is stale and cannot apply until re-confirmed.
/// </summary>
public class PromotionRequest
{
    public Guid Id { get; set; }

    public Guid ProjectId { get; set; }

    public Guid ArtifactId { get; set; }

    public string AliasName { get; set; } = "";

    public Guid VersionId { get; set; }

    public Guid? ExpectedFromVersionId { get; set; }

    public PromotionKind Kind { get; set; }

    public PromotionState State { get; set; }

    public string RequestedById { get; set; } = "";

    public string Comment { get; set; } = "";

    /// <summary>Applied at once by a project admin; <see cref="ReviewedAt"/> stays null until someone else reviews it.</summary>
    public bool Emergency { get; set; }

    public string? ReviewedById { get; set; }

    public DateTimeOffset? ReviewedAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? AppliedAt { get; set; }

    public bool IsPending => State is PromotionState.Open or PromotionState.Approved;
}

/// <summary>One person's approval: the key makes sure one person counts once.</summary>
public class PromotionApproval
{
    public Guid RequestId { get; set; }

    public string UserId { get; set; } = "";

    public string? Comment { get; set; }

    public DateTimeOffset At { get; set; }
}

public static class PromotionCommentKinds
{
    public const string Comment = "comment";
    public const string Requested = "requested";
    public const string Approved = "approved";
    public const string Rejected = "rejected";
    public const string Applied = "applied";
    public const string Cancelled = "cancelled";
    public const string Reconfirmed = "reconfirmed";
    public const string Reviewed = "reviewed";
}

/// <summary>The request's discussion: comments and every step taken, in order.</summary>
public class PromotionComment
{
    public long Id { get; set; }

    public Guid RequestId { get; set; }

    public string AuthorId { get; set; } = "";

    public string Kind { get; set; } = PromotionCommentKinds.Comment;

    public string Text { get; set; } = "";

    public DateTimeOffset At { get; set; }
}

public class PromotionRequestConfiguration : IEntityTypeConfiguration<PromotionRequest>
{
    public void Configure(EntityTypeBuilder<PromotionRequest> builder)
    {
        builder.HasKey(r => r.Id);
        builder.Ignore(r => r.IsPending);
        builder.Property(r => r.AliasName).HasMaxLength(128).IsUnicode(false);
        builder.Property(r => r.Comment).HasMaxLength(4000);
        builder.Property(r => r.State).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.Kind).HasConversion<string>().HasMaxLength(16);
        builder.HasOne<Project>().WithMany().HasForeignKey(r => r.ProjectId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Artifact>().WithMany().HasForeignKey(r => r.ArtifactId).OnDelete(DeleteBehavior.NoAction);
        builder.HasIndex(r => new { r.ProjectId, r.State, r.CreatedAt });
        builder.HasIndex(r => new { r.ArtifactId, r.AliasName, r.State });
        builder.HasIndex(r => new { r.RequestedById, r.CreatedAt });
    }
}

public class PromotionApprovalConfiguration : IEntityTypeConfiguration<PromotionApproval>
{
    public void Configure(EntityTypeBuilder<PromotionApproval> builder)
    {
        builder.HasKey(a => new { a.RequestId, a.UserId });
        builder.Property(a => a.Comment).HasMaxLength(4000);
        builder.HasOne<PromotionRequest>().WithMany().HasForeignKey(a => a.RequestId).OnDelete(DeleteBehavior.Cascade);
    }
}

public class PromotionCommentConfiguration : IEntityTypeConfiguration<PromotionComment>
{
    public void Configure(EntityTypeBuilder<PromotionComment> builder)
    {
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Kind).HasMaxLength(16).IsUnicode(false);
        builder.Property(c => c.Text).HasMaxLength(4000);
        builder.HasOne<PromotionRequest>().WithMany().HasForeignKey(c => c.RequestId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(c => new { c.RequestId, c.Id });
    }
}
