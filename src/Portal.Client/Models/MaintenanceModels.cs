namespace Portal.Client.Models;

/// <summary>The maintenance jobs by their stable names (used in URLs and reports).</summary>
public static class MaintenanceJobNames
{
    public const string PendingExpiry = "pending-expiry";
    public const string IntegrityScrub = "integrity-scrub";
    public const string Retention = "retention";
    public const string GarbageCollection = "garbage-collection";

    public static readonly IReadOnlyList<string> All = [PendingExpiry, IntegrityScrub, Retention, GarbageCollection];
}

/// <summary>
/// One run of a maintenance job: <see cref="State"/> is <c>queued</c>, <c>running</c>, <c>succeeded</c> or <c>failed</c>;
/// <see cref="Examined"/> is what the job looked at and <see cref="Affected"/> what it changed. <see cref="Details"/>
/// is the job's own report (JSON object).
/// </summary>
public sealed record MaintenanceRunResponse(
    long Id,
    string Job,
    string Trigger,
    string State,
    int Attempts,
    DateTimeOffset QueuedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    long Examined,
    long Affected,
    string? Error,
    System.Text.Json.JsonElement Details);

/// <summary>
/// Keep committed versions of the artifact type in the URL (<c>*</c> = every type without a policy of its own) for
/// <see cref="KeepDays"/> days after their commit; retention then removes them, except the latest version, versions
/// behind a custom alias and versions upstream of one.
/// </summary>
public sealed record RetentionPolicyRequest(int KeepDays);

/// <summary>How long committed versions of an artifact type are kept.</summary>
public sealed record RetentionPolicyResponse(string ArtifactType, int KeepDays, DateTimeOffset UpdatedAt, string? UpdatedBy);

/// <summary>A version that retention removed (its row stays as a tombstone in state <c>Deleted</c>).</summary>
public sealed record RetentionRemovalResponse(Guid VersionId, string Artifact, string Version, DateTimeOffset RemovedAt, string Reason);

/// <summary>A problem the integrity scrub found with one of a version's blobs: <c>corrupt</c> or <c>missing</c>.</summary>
public sealed record VersionIntegrityIssueResponse(string Path, string Digest, string Problem, DateTimeOffset DetectedAt);
