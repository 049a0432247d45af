using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Core.Features.Artifacts;

/// <summary>
/// One move of an alias. The history of every alias is kept, so "what was production at time T" is a query.
/// <see cref="ToVersionId"/> is null when the alias was removed.
/// </summary>
public class AliasEvent
{
    public long Id { get; set; }

    public Guid ArtifactId { get; set; }

    public string AliasName { get; set; } = "";

    public Guid? FromVersionId { get; set; }

    public Guid? ToVersionId { get; set; }

    public string? ActorId { get; set; }

    public DateTimeOffset At { get; set; }

    public string Reason { get; set; } = "";

    public Guid? PromotionRequestId { get; set; }
}

public class AliasEventConfiguration : IEntityTypeConfiguration<AliasEvent>
{
    public void Configure(EntityTypeBuilder<AliasEvent> builder)
    {
        builder.HasKey(e => e.Id);
        builder.Property(e => e.AliasName).HasMaxLength(128).IsUnicode(false);
        builder.Property(e => e.Reason).HasMaxLength(2000);
        builder.HasOne<Artifact>().WithMany().HasForeignKey(e => e.ArtifactId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(e => new { e.ArtifactId, e.AliasName, e.At });
        builder.HasIndex(e => e.ToVersionId);
    }
}
