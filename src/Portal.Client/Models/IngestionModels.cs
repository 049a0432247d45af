namespace Portal.Client.Models;

/// <summary>Where an ingestion is: files arriving (<c>receiving</c>), waiting for a worker, hashing, then its outcome.</summary>
public static class IngestionStatuses
{
    public const string Receiving = "receiving";
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Committed = "committed";
    public const string Failed = "failed";

    public static bool IsFinished(string status) => status is Committed or Failed;
}

/// <summary>What the new version is: the artifact (created when <see cref="Type"/> is given and it does not exist yet) and its fields.</summary>
/// <param name="ArtifactName">An existing artifact of the project, or a new one.</param>
/// <param name="Type">The artifact's type; required for a new artifact, must match for an existing one.</param>
/// <param name="Description">The version's description (Markdown).</param>
/// <param name="MetadataJson">A JSON object stored as the version's metadata.</param>
/// <param name="Aliases">Custom aliases the committed version gets (protected aliases are refused, as at any upload).</param>
public sealed record IngestionTarget(string ArtifactName, string? Type = null, string? Description = null, string? MetadataJson = null, IReadOnlyList<string>? Aliases = null);

/// <summary>Starts a browser (or SDK) upload: files are then sent one by one, and <c>…/start</c> hands them to the job.</summary>
/// <param name="ExpandZip">When the upload is a single <c>.zip</c> file, the version holds its entries instead of the zip.</param>
public sealed record CreateUploadIngestionRequest(IngestionTarget Target, bool ExpandZip = true);

/// <summary>One file the server reads and hashes itself.</summary>
/// <param name="Path">The path in the version (manifest path rules).</param>
/// <param name="Uri"><c>file://</c> under a configured allowed root, or <c>https://</c>.</param>
public sealed record IngestionReference(string Path, string Uri);

/// <summary>A version made of files the server reads itself.</summary>
/// <param name="StoreCopies">Copy the bytes into the blob store (plain entries) instead of recording <c>ref</c> entries.</param>
public sealed record CreateReferenceIngestionRequest(IngestionTarget Target, IReadOnlyList<IngestionReference> Entries, bool StoreCopies = false);

/// <summary>An ingestion and its progress; <see cref="VersionId"/> once committed, <see cref="ErrorCode"/> and <see cref="ErrorMessage"/> when failed.</summary>
public sealed record IngestionResponse(
    Guid Id,
    string ProjectSlug,
    string Kind,
    string Status,
    string ArtifactName,
    long FilesTotal,
    long FilesDone,
    long BytesTotal,
    long BytesDone,
    string? ErrorCode,
    string? ErrorMessage,
    Guid? VersionId,
    string? Version,
    bool Unchanged,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt);

/// <summary>One staged file of an upload.</summary>
public sealed record IngestionFileResponse(string Path, long Size);

public static class IngestionKinds
{
    public const string Upload = "upload";
    public const string References = "references";
}
