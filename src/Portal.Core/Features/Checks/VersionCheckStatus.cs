namespace Portal.Core.Features.Checks;

public enum VersionCheckState
{
    /// <summary>No result and nothing queued.</summary>
    Missing = 0,
    Queued = 1,
    Running = 2,
    Passed = 3,
    Failed = 4,
}

/// <summary>The state of one automated check of a version, with a sentence a reviewer can read and a link to the details.</summary>
public sealed record VersionCheckStatus(VersionCheckState State, string Summary, string? Link = null);

/// <summary>
/// Where promotion checks read the results of background work: the validation of a version, and the compare report
/// between two versions.
/// </summary>
public interface IVersionCheckStatusSource
{
    Task<VersionCheckStatus> GetValidationAsync(Guid versionId, CancellationToken ct);

    Task<VersionCheckStatus> GetCompareReportAsync(Guid fromVersionId, Guid toVersionId, CancellationToken ct);
}
