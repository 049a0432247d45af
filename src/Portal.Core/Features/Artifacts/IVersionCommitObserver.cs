namespace Portal.Core.Features.Artifacts;

/// <summary>A version that has just become <c>vN</c>; <see cref="PreviousVersionId"/> is what <c>latest</c> pointed at before.</summary>
public sealed record CommittedVersion(Guid ProjectId, Guid ArtifactId, Guid VersionId, int Index, Guid? PreviousVersionId, string ActorId);

/// <summary>
/// Told about every newly committed version after its transaction has committed (for example to queue validation and
/// a compare report). Called once per version; a retried commit that finds the version committed does not call it again.
/// </summary>
public interface IVersionCommitObserver
{
    Task OnCommittedAsync(CommittedVersion version, CancellationToken ct);
}
