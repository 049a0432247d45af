using System.Text.Json;

namespace Portal.Client.Models;

/// <summary>Answer to <c>PUT /api/v1/blobs/sha256/{digest}</c>.</summary>
public sealed record BlobPutResponse(string Digest, long Size, bool AlreadyStored);

/// <summary>
/// Body of <c>POST /api/v1/blobs/missing</c>: at most <see cref="MaxDigests"/> digests. With <see cref="Project"/>, a
/// digest counts as present only when that project holds it (what a version of the project may name without
/// uploading); without, when a project the caller can read holds it or the caller uploaded it.
/// </summary>
public sealed record MissingBlobsRequest(IReadOnlyList<string>? Digests, string? Project = null)
{
    public const int MaxDigests = 10_000;
}

/// <summary>The digests of the request whose blobs are not stored yet; upload these.</summary>
public sealed record MissingBlobsResponse(IReadOnlyList<string> Missing);

/// <summary>Body of <c>POST /api/v1/projects/{p}/blobs/download</c>: at most <see cref="MaxDigests"/> digests of blobs the project holds.</summary>
public sealed record BlobBatchDownloadRequest(IReadOnlyList<string>? Digests)
{
    public const int MaxDigests = 10_000;
}

/// <summary>Why one blob of a batch download was not sent (the body of its error entry).</summary>
public sealed record BlobBatchError(string Code, string Message);

/// <summary>
/// The answer of a batch download: a tar stream (ustar) with one regular-file entry per blob, named by its SHA-256
/// digest and holding its bytes, in no particular order; a blob that cannot be sent is an entry named
/// <see cref="ErrorPrefix"/> + digest holding a JSON <see cref="BlobBatchError"/>. Every requested digest gets exactly
/// one entry. The portal verifies each blob before it is sent; clients verify again as they write.
/// </summary>
public static class BlobBatchFormat
{
    public const string ErrorPrefix = "errors/";
}

/// <summary>One file of a manifest as the API carries it (NDJSON lines have the same fields).</summary>
public sealed record ManifestEntryModel(string Path, string Digest, long Size, string? Ref = null, JsonElement? Extra = null);

/// <summary>
/// JSON body of <c>POST …/artifacts/{name}/versions</c>. Either <see cref="Entries"/> (a whole, small manifest) or
/// <see cref="Base"/> with <see cref="Upserts"/>/<see cref="Deletes"/> (a patch of an existing version). Large
/// manifests go as an NDJSON body instead, with these fields as query parameters.
/// </summary>
public sealed record CreateVersionRequest(
    string? Type,
    string? Description = null,
    JsonElement? Metadata = null,
    IReadOnlyList<string>? Aliases = null,
    Guid? RunId = null,
    IReadOnlyList<ManifestEntryModel>? Entries = null,
    string? Base = null,
    IReadOnlyList<ManifestEntryModel>? Upserts = null,
    IReadOnlyList<string>? Deletes = null);

public static class CreateVersionStatus
{
    /// <summary>A new version waits for its blobs; upload <c>missingDigests</c>, then commit.</summary>
    public const string Pending = "pending";

    /// <summary>The manifest equals the current <c>latest</c>; nothing was created.</summary>
    public const string Unchanged = "unchanged";

    /// <summary>The version is committed and has its <c>vN</c>.</summary>
    public const string Committed = "committed";
}

/// <summary>
/// Answer to creating a version: <c>pending</c> with the version id and the blobs the server still needs, or
/// <c>unchanged</c> with the existing version. <see cref="MissingDigestsTruncated"/> is true when more than
/// <see cref="MaxMissingDigests"/> are missing; the rest are found with <c>POST /api/v1/blobs/missing</c>.
/// </summary>
public sealed record CreateVersionResponse(
    string Status,
    Guid? VersionId,
    string ManifestDigest,
    long FileCount,
    long TotalSize,
    IReadOnlyList<string> MissingDigests,
    bool MissingDigestsTruncated = false,
    ArtifactVersionResponse? Version = null)
{
    public const int MaxMissingDigests = 100_000;
}

/// <summary>Answer to a commit: <c>committed</c>, or <c>unchanged</c> when an identical version became latest first.</summary>
public sealed record CommitVersionResponse(string Status, ArtifactVersionResponse Version);

/// <summary>A committed version of an artifact: its vN, manifest digest, size, metadata and aliases.</summary>
public sealed record ArtifactVersionResponse(
    Guid Id,
    string ArtifactName,
    string ArtifactType,
    int Index,
    string Version,
    string ManifestDigest,
    long FileCount,
    long TotalSize,
    JsonElement Metadata,
    string Description,
    Guid? CreatedByRunId,
    string? CreatedById,
    DateTimeOffset CreatedAt,
    DateTimeOffset CommittedAt,
    IReadOnlyList<string> Aliases);

/// <summary>An artifact: a named, typed series of versions within a project.</summary>
public sealed record ArtifactResponse(
    Guid Id,
    string Name,
    string Type,
    string Description,
    DateTimeOffset CreatedAt,
    int VersionCount,
    string? LatestVersion);

/// <summary>Points an alias at a committed version (vN, another alias, a version id or a manifest digest), with a reason for the history.</summary>
public sealed record SetAliasRequest(string? Version, string? Reason = null);

/// <summary>A custom alias of an artifact and the version it points at.</summary>
public sealed record ArtifactAliasResponse(string Name, Guid VersionId, string Version, DateTimeOffset UpdatedAt);

/// <summary>One move of an alias; <see cref="ToVersion"/> is null when the alias was removed.</summary>
public sealed record AliasEventResponse(
    string Alias,
    Guid? FromVersionId,
    string? FromVersion,
    Guid? ToVersionId,
    string? ToVersion,
    string? ActorId,
    DateTimeOffset At,
    string Reason);
