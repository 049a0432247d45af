using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Client.Models;
using Portal.Core.Features.Projects;

namespace Portal.Core.Features.Ingestions;

public enum IngestionStatus
{
    /// <summary>An upload whose files are still arriving; nothing runs yet.</summary>
    Receiving = 0,
    Queued = 1,
    Running = 2,
    Committed = 3,
    Failed = 4,
}

public enum IngestionKind
{
    /// <summary>Files (or one zip) uploaded into a staging folder.</summary>
    Upload = 1,

    /// <summary><c>file://</c> and <c>https://</c> references the server reads itself.</summary>
    References = 2,
}

/// <summary>
/// One server-side ingestion: what the new version is to be, the job's state and progress, and its outcome (the
/// version, or an error code and message). The row is the truth the job and the page read; the job's claim makes a
/// second run of the same id a no-op.
/// </summary>
public class Ingestion
{
    public Guid Id { get; set; }

    public Guid ProjectId { get; set; }

    public IngestionKind Kind { get; set; }

    public IngestionStatus Status { get; set; }

    public string ArtifactName { get; set; } = "";

    public string? ArtifactType { get; set; }

    public string Description { get; set; } = "";

    public string MetadataJson { get; set; } = "{}";

    public string AliasesJson { get; set; } = "[]";

    /// <summary>An upload of a single <c>.zip</c> becomes the zip's entries.</summary>
    public bool ExpandZip { get; set; }

    /// <summary>References are copied into the blob store instead of being recorded as <c>ref</c> entries.</summary>
    public bool StoreCopies { get; set; }

    /// <summary>Who started it; the job creates and commits the version as this user, with their current role.</summary>
    public string CreatedById { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? QueuedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>Moves while the job works; a running row whose heartbeat stopped belongs to a worker that died.</summary>
    public DateTimeOffset? HeartbeatAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public Guid? ClaimId { get; set; }

    public int Attempts { get; set; }

    public long FilesTotal { get; set; }

    public long FilesDone { get; set; }

    public long BytesTotal { get; set; }

    public long BytesDone { get; set; }

    public string? ErrorCode { get; set; }

    public string? ErrorMessage { get; set; }

    public Guid? VersionId { get; set; }

    /// <summary>The content equalled the artifact's latest version, so no version was created; <see cref="VersionId"/> names that one.</summary>
    public bool Unchanged { get; set; }

    public static string StatusName(IngestionStatus status) => status switch
    {
        IngestionStatus.Receiving => IngestionStatuses.Receiving,
        IngestionStatus.Queued => IngestionStatuses.Queued,
        IngestionStatus.Running => IngestionStatuses.Running,
        IngestionStatus.Committed => IngestionStatuses.Committed,
        _ => IngestionStatuses.Failed,
    };

    public static string KindName(IngestionKind kind) => kind == IngestionKind.Upload ? IngestionKinds.Upload : IngestionKinds.References;
}

/// <summary>
/// One source of an ingestion: a staged upload (stored in the staging folder under <see cref="Id"/>, never under its
/// path, so no path a client sends ever becomes a file-system path) or a reference (<see cref="Uri"/>).
/// </summary>
public class IngestionFile
{
    public Guid Id { get; set; }

    public Guid IngestionId { get; set; }

    public int Ordinal { get; set; }

    public string Path { get; set; } = "";

    public string? Uri { get; set; }

    /// <summary>Bytes staged (uploads); 0 for references until the job reads them.</summary>
    public long Size { get; set; }

    /// <summary>False while the upload streams; a file that never completed is not part of the version.</summary>
    public bool Complete { get; set; }
}

public class IngestionConfiguration : IEntityTypeConfiguration<Ingestion>
{
    public void Configure(EntityTypeBuilder<Ingestion> builder)
    {
        builder.HasKey(i => i.Id);
        builder.Property(i => i.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(i => i.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(i => i.ArtifactName).HasMaxLength(128);
        builder.Property(i => i.ArtifactType).HasMaxLength(64);
        builder.Property(i => i.CreatedById).HasMaxLength(450);
        builder.Property(i => i.ErrorCode).HasMaxLength(64);
        builder.Property(i => i.ErrorMessage).HasMaxLength(2000);
        builder.Property(i => i.AliasesJson).HasMaxLength(8000);
        builder.HasOne<Project>().WithMany().HasForeignKey(i => i.ProjectId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(i => new { i.Status, i.CreatedAt });
        builder.HasIndex(i => new { i.ProjectId, i.CreatedAt });
    }
}

public class IngestionFileConfiguration : IEntityTypeConfiguration<IngestionFile>
{
    public void Configure(EntityTypeBuilder<IngestionFile> builder)
    {
        builder.HasKey(f => f.Id);
        builder.Property(f => f.Path).HasMaxLength(1024);
        builder.Property(f => f.Uri).HasMaxLength(2048);
        builder.HasOne<Ingestion>().WithMany().HasForeignKey(f => f.IngestionId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(f => new { f.IngestionId, f.Ordinal });
    }
}
