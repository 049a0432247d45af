using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Features.Events;
using Portal.Core.Features.Projects;

namespace Portal.Core.Features.Automations;

/// <summary>
/// A rule on the events of one project or one registry collection (a collection is a project of kind registry, so its
/// rules hang off its project too): when an event of <see cref="Trigger"/> passes the filter, <see cref="Action"/> runs
/// once for it as an <see cref="AutomationRun"/>.
/// </summary>
public class AutomationRule
{
    public Guid Id { get; set; }

    public Guid ProjectId { get; set; }

    public string Name { get; set; } = "";

    /// <summary>One of <see cref="AutomationTriggers.All"/>.</summary>
    public string Trigger { get; set; } = "";

    /// <summary>For <c>version.committed</c>: only versions of artifacts of this type; null for every type.</summary>
    public string? ArtifactType { get; set; }

    /// <summary>For <c>alias.moved</c>: only moves of this alias; null for every alias.</summary>
    public string? AliasName { get; set; }

    /// <summary>One of <see cref="AutomationActions.All"/>.</summary>
    public string Action { get; set; } = "";

    /// <summary>Where an <c>evaluation_request</c> is POSTed.</summary>
    public string? Url { get; set; }

    /// <summary>Signs <c>evaluation_request</c> bodies as webhooks are signed; shown once, at creation.</summary>
    public string? Secret { get; set; }

    public bool Enabled { get; set; } = true;

    public string? CreatedById { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>
    /// Whether the event is one this rule acts on: its type and filter, and not older than the rule (events still
    /// waiting for the dispatcher when the rule was added happened before it).
    /// </summary>
    public bool Matches(PortalEvent e, AutomationEventFacts facts) =>
        Enabled && Trigger == e.Type && e.OccurredAt >= CreatedAt && Trigger switch
        {
            AutomationTriggers.VersionCommitted => ArtifactType is null || ArtifactType == facts.ArtifactType,
            AutomationTriggers.AliasMoved => AliasName is null || AliasName == facts.Alias,
            _ => true,
        };
}

public static class AutomationTriggers
{
    public const string VersionCommitted = PortalEventTypes.VersionCommitted;
    public const string VersionLinked = PortalEventTypes.VersionLinked;
    public const string AliasMoved = PortalEventTypes.AliasMoved;

    public static readonly IReadOnlyList<string> All = [VersionCommitted, VersionLinked, AliasMoved];
}

public static class AutomationActions
{
    public const string Compare = "compare";
    public const string Validate = "validate";
    public const string EvaluationRequest = "evaluation_request";
    public const string Email = "email";

    public static readonly IReadOnlyList<string> All = [Compare, Validate, EvaluationRequest, Email];
}

public enum AutomationOutcome
{
    Pending = 0,
    Running = 1,
    Succeeded = 2,
    Failed = 3,
    Skipped = 4,
}

/// <summary>One rule acting on one event: what it acted on, when, and how it went.</summary>
public class AutomationRun
{
    public long Id { get; set; }

    public Guid RuleId { get; set; }

    /// <summary>The <see cref="PortalEvent"/> that set the rule off.</summary>
    public long EventId { get; set; }

    public string EventType { get; set; } = "";

    /// <summary>The version the event is about (the committed or linked version, or where the alias moved to).</summary>
    public Guid? SubjectVersionId { get; set; }

    public AutomationOutcome Outcome { get; set; }

    public string Message { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public int Attempts { get; set; }
}

public class AutomationRuleConfiguration : IEntityTypeConfiguration<AutomationRule>
{
    public void Configure(EntityTypeBuilder<AutomationRule> builder)
    {
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Name).HasMaxLength(200);
        builder.Property(r => r.Trigger).HasMaxLength(64).IsUnicode(false);
        builder.Property(r => r.ArtifactType).HasMaxLength(64).IsUnicode(false);
        builder.Property(r => r.AliasName).HasMaxLength(128);
        builder.Property(r => r.Action).HasMaxLength(32).IsUnicode(false);
        builder.Property(r => r.Url).HasMaxLength(2000);
        builder.Property(r => r.Secret).HasMaxLength(128).IsUnicode(false);
        builder.HasOne<Project>().WithMany().HasForeignKey(r => r.ProjectId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(r => new { r.ProjectId, r.Enabled });
    }
}

public class AutomationRunConfiguration : IEntityTypeConfiguration<AutomationRun>
{
    public void Configure(EntityTypeBuilder<AutomationRun> builder)
    {
        builder.HasKey(r => r.Id);
        builder.Property(r => r.EventType).HasMaxLength(64).IsUnicode(false);
        builder.Property(r => r.Outcome).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.Message).HasMaxLength(1000);
        builder.HasOne<AutomationRule>().WithMany().HasForeignKey(r => r.RuleId).OnDelete(DeleteBehavior.Cascade);
        // No foreign key to the event: a second cascade path from the project would be refused by SQL Server.
        // One run per (event, rule), however often the dispatcher runs.
        builder.HasIndex(r => new { r.EventId, r.RuleId }).IsUnique();
        builder.HasIndex(r => new { r.RuleId, r.Id });
        builder.HasIndex(r => new { r.RuleId, r.CreatedAt });
        builder.HasIndex(r => new { r.Outcome, r.CreatedAt });
    }
}
