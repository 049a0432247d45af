using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Core.Features.Auditing;

/// <summary>
/// Append-only record of a write. <see cref="Hash"/> is SHA-256 over the previous event's hash and this event's
/// canonical content, so changing or deleting a row breaks the chain from that row on.
/// </summary>
public class AuditEvent
{
    public long Id { get; set; }

    /// <summary>Position in the chain, 1-based, without gaps.</summary>
    public long Sequence { get; set; }

    public Guid? ProjectId { get; set; }

    public string? ActorId { get; set; }

    public string Action { get; set; } = "";

    public string TargetType { get; set; } = "";

    public string TargetId { get; set; } = "";

    public string? BeforeJson { get; set; }

    public string? AfterJson { get; set; }

    public DateTimeOffset At { get; set; }

    public string PreviousHash { get; set; } = "";

    public string Hash { get; set; } = "";
}

public class AuditEventConfiguration : IEntityTypeConfiguration<AuditEvent>
{
    public void Configure(EntityTypeBuilder<AuditEvent> builder)
    {
        builder.HasKey(e => e.Id);
        builder.HasIndex(e => e.Sequence).IsUnique();
        builder.Property(e => e.Action).HasMaxLength(64).IsUnicode(false);
        builder.Property(e => e.TargetType).HasMaxLength(64).IsUnicode(false);
        builder.Property(e => e.TargetId).HasMaxLength(128);
        builder.Property(e => e.PreviousHash).HasMaxLength(64).IsUnicode(false);
        builder.Property(e => e.Hash).HasMaxLength(64).IsUnicode(false);
        builder.HasIndex(e => new { e.ProjectId, e.At });
        builder.HasIndex(e => new { e.TargetType, e.TargetId });
    }
}

/// <summary>The single row that serialises appends to the audit chain (its update takes the lock).</summary>
public class AuditChainHead
{
    public int Id { get; set; }

    public long Sequence { get; set; }

    public string Hash { get; set; } = "";
}

public class AuditChainHeadConfiguration : IEntityTypeConfiguration<AuditChainHead>
{
    public void Configure(EntityTypeBuilder<AuditChainHead> builder)
    {
        builder.HasKey(h => h.Id);
        builder.Property(h => h.Id).ValueGeneratedNever();
        builder.Property(h => h.Hash).HasMaxLength(64).IsUnicode(false);
        builder.HasData(new AuditChainHead { Id = 1, Sequence = 0, Hash = AuditChain.GenesisHash });
    }
}
