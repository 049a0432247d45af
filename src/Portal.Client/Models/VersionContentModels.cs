namespace Portal.Client.Models;

/// <summary>One row of a version's directory listing: a folder (a common prefix) or a file.</summary>
public sealed record VersionFileItem(
    string Kind,
    string Path,
    string Name,
    string? Digest = null,
    long? Size = null,
    string? Ref = null);

/// <summary>The folders and files directly inside a folder of a version, a page at a time.</summary>
public sealed record VersionFilesResponse(
    Guid VersionId,
    string Prefix,
    IReadOnlyList<VersionFileItem> Items,
    string? ContinuationToken);

/// <summary>One changed path between two versions. Renamed: same bytes, new path (<see cref="OldPath"/> is where it was).</summary>
public sealed record VersionDiffItem(
    string Change,
    string Path,
    string? OldPath,
    string? OldDigest,
    string? NewDigest,
    long? OldSize,
    long? NewSize);

/// <summary>How many files were added, removed, modified and renamed, and how much of the manifests was compared.</summary>
public sealed record VersionDiffSummary(int Added, int Removed, int Modified, int Renamed, int SharedRanges, int ComparedRanges);

/// <summary>What changed from one version to another, a page of changes at a time.</summary>
public sealed record VersionDiffResponse(
    Guid FromVersionId,
    Guid ToVersionId,
    VersionDiffSummary Summary,
    IReadOnlyList<VersionDiffItem> Items,
    string? ContinuationToken);

/// <summary>A version that holds a given blob or path, for "where is this file used?".</summary>
public sealed record ContainingVersion(
    string Project,
    string Artifact,
    string ArtifactType,
    Guid VersionId,
    int Index,
    string Path,
    DateTimeOffset? CommittedAt);
