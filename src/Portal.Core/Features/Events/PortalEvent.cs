using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Data;
using Portal.Core.Features.Projects;

namespace Portal.Core.Features.Events;

/// <summary>
/// Something that happened in a project, written in the same transaction as the change itself (an outbox), so
/// webhooks and notifications are delivered for exactly the changes that were committed.
/// </summary>
public class PortalEvent
{
    public long Id { get; set; }

    public Guid ProjectId { get; set; }

    /// <summary>One of <see cref="PortalEventTypes"/>.</summary>
    public string Type { get; set; } = "";

    /// <summary>The event's body as JSON (camelCase), the same document webhooks receive as <c>data</c>.</summary>
    public string PayloadJson { get; set; } = "{}";

    public DateTimeOffset OccurredAt { get; set; }

    /// <summary>When the dispatcher fanned the event out to webhooks; null while waiting.</summary>
    public DateTimeOffset? DispatchedAt { get; set; }
}

public static class PortalEventTypes
{
    public const string VersionCommitted = "version.committed";
    public const string AliasMoved = "alias.moved";
    public const string PromotionRequested = "promotion.requested";
    public const string PromotionApproved = "promotion.approved";
    public const string PromotionRejected = "promotion.rejected";
    public const string PromotionApplied = "promotion.applied";
    public const string ValidationFinished = "validation.finished";
    public const string CompareReportFinished = "compare_report.finished";
    public const string VersionRetired = "version.retired";
    public const string VersionLinked = "version.linked";

    public static readonly IReadOnlyList<string> All =
    [
        VersionCommitted, AliasMoved, PromotionRequested, PromotionApproved, PromotionRejected, PromotionApplied,
        ValidationFinished, CompareReportFinished,
        VersionRetired, VersionLinked,
    ];
}

public static class PortalEvents
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Adds an event to the unit of work; it is stored when the context saves, with the change it describes.</summary>
    public static PortalEvent Raise(this PortalDbContext db, Guid projectId, string type, object payload, DateTimeOffset at)
    {
        var e = new PortalEvent
        {
            ProjectId = projectId,
            Type = type,
            PayloadJson = JsonSerializer.Serialize(payload, Json),
            OccurredAt = at,
        };
        db.PortalEvents.Add(e);
        return e;
    }
}

public class PortalEventConfiguration : IEntityTypeConfiguration<PortalEvent>
{
    public void Configure(EntityTypeBuilder<PortalEvent> builder)
    {
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Type).HasMaxLength(64).IsUnicode(false);
        builder.HasOne<Project>().WithMany().HasForeignKey(e => e.ProjectId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(e => new { e.DispatchedAt, e.Id });
        builder.HasIndex(e => new { e.ProjectId, e.Id });
    }
}
