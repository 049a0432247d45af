using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Projects;

namespace Portal.Core.Features.Validation;

public enum BackgroundJobState
{
    Queued = 1,
    Running = 2,
    Passed = 3,
    Failed = 4,
}

/// <summary>
/// The validation of one committed version: its job state while it runs, then its outcome and findings. One row per
/// version, so running the job twice can only ever leave one result.
/// </summary>
public class VersionValidation
{
    public Guid VersionId { get; set; }

    public Guid ProjectId { get; set; }

    public BackgroundJobState State { get; set; }

    /// <summary>Which run of the job owns the row while it is running; a second run that finds it taken stands down.</summary>
    public Guid? ClaimId { get; set; }

    public long BytesTotal { get; set; }

    public long BytesDone { get; set; }

    public long FilesScanned { get; set; }

    public long RowsScanned { get; set; }

    public int Errors { get; set; }

    public int Warnings { get; set; }

    public int Infos { get; set; }

    public string Summary { get; set; } = "";

    /// <summary>The rule set it ran with (JSON), so a later edit of the rules does not rewrite history.</summary>
    public string RulesJson { get; set; } = "{}";

    /// <summary>The <see cref="DataProfile"/> of the version (JSON): what the next version's drift is measured against.</summary>
    public string? ProfileJson { get; set; }

    /// <summary>The drift table against the previous version (JSON list of DriftRow).</summary>
    public string DriftJson { get; set; } = "[]";

    public DateTimeOffset QueuedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>Moves while the job works; a running row whose heartbeat stopped belongs to a worker that died.</summary>
    public DateTimeOffset? HeartbeatAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public int Attempts { get; set; }
}

public class ValidationFinding
{
    public long Id { get; set; }

    public Guid VersionId { get; set; }

    public string Check { get; set; } = "";

    public string Code { get; set; } = "";

    public string Severity { get; set; } = "";

    public string Message { get; set; } = "";

    public string? Path { get; set; }

    public long Count { get; set; }

    /// <summary>The first locations (line and redacted excerpt) as JSON.</summary>
    public string LocationsJson { get; set; } = "[]";

    public int Ordinal { get; set; }
}

public class VersionValidationConfiguration : IEntityTypeConfiguration<VersionValidation>
{
    public void Configure(EntityTypeBuilder<VersionValidation> builder)
    {
        builder.HasKey(v => v.VersionId);
        builder.Property(v => v.State).HasConversion<string>().HasMaxLength(16);
        builder.Property(v => v.Summary).HasMaxLength(1000);
        builder.HasOne<ArtifactVersion>().WithMany().HasForeignKey(v => v.VersionId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Project>().WithMany().HasForeignKey(v => v.ProjectId).OnDelete(DeleteBehavior.NoAction);
        builder.HasIndex(v => new { v.State, v.QueuedAt });
        builder.HasIndex(v => v.ProjectId);
    }
}

public class ValidationFindingConfiguration : IEntityTypeConfiguration<ValidationFinding>
{
    public void Configure(EntityTypeBuilder<ValidationFinding> builder)
    {
        builder.HasKey(f => f.Id);
        builder.Property(f => f.Check).HasMaxLength(32).IsUnicode(false);
        builder.Property(f => f.Code).HasMaxLength(200);
        builder.Property(f => f.Severity).HasMaxLength(16).IsUnicode(false);
        builder.Property(f => f.Message).HasMaxLength(2000);
        builder.Property(f => f.Path).HasMaxLength(1024);
        builder.HasOne<VersionValidation>().WithMany().HasForeignKey(f => f.VersionId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(f => new { f.VersionId, f.Ordinal });
    }
}

/// <summary>The rules for one artifact type of a project (<see cref="ArtifactType"/> <c>*</c>: every type without its own).</summary>
public class ValidationRuleSet
{
    public const string AnyType = "*";

    public Guid Id { get; set; }

    public Guid ProjectId { get; set; }

    public string ArtifactType { get; set; } = AnyType;

    public string RulesJson { get; set; } = "{}";

    public DateTimeOffset UpdatedAt { get; set; }

    public string? UpdatedById { get; set; }
}

public class ValidationRuleSetConfiguration : IEntityTypeConfiguration<ValidationRuleSet>
{
    public void Configure(EntityTypeBuilder<ValidationRuleSet> builder)
    {
        builder.HasKey(r => r.Id);
        builder.Property(r => r.ArtifactType).HasMaxLength(64).IsUnicode(false);
        builder.HasOne<Project>().WithMany().HasForeignKey(r => r.ProjectId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(r => new { r.ProjectId, r.ArtifactType }).IsUnique();
    }
}
