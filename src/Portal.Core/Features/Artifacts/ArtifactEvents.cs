using Portal.Core.Data;
using Portal.Core.Features.Events;

namespace Portal.Core.Features.Artifacts;

/// <summary>The outbox events of the versioning engine: <c>version.committed</c> and <c>alias.moved</c>.</summary>
/// <remarks>
/// Raised inside the writer's unit of work, so they are stored with the change. The rows they describe are read with
/// <c>Find</c>, which answers from the unit of work when the writer already loaded them (writers load the artifact and
/// the target version), and keeps <see cref="AliasMoves.Move"/> synchronous for all of its callers.
/// </remarks>
internal static class ArtifactEvents
{
    public static void RaiseVersionCommitted(PortalDbContext db, Guid projectId, Artifact artifact, ArtifactVersion version, Guid? previousVersionId, string actorId, DateTimeOffset at)
    {
        var previous = previousVersionId is { } id ? db.ArtifactVersions.Find(id) : null;
        db.Raise(projectId, PortalEventTypes.VersionCommitted, new
        {
            project = ProjectSlug(db, projectId),
            artifact = artifact.Name,
            artifactType = artifact.Type,
            version = Describe(version),
            previousVersion = previous is null ? null : Describe(previous),
            actor = Actor(db, actorId),
            runId = version.CreatedByRunId,
        }, at);
    }

    public static void RaiseAliasMoved(PortalDbContext db, Guid artifactId, string alias, Guid? fromVersionId, Guid? toVersionId, string actorId, DateTimeOffset at, string reason)
    {
        var artifact = db.Artifacts.Find(artifactId);
        if (artifact is null)
            return;
        var from = fromVersionId is { } f ? db.ArtifactVersions.Find(f) : null;
        var to = toVersionId is { } t ? db.ArtifactVersions.Find(t) : null;
        db.Raise(artifact.ProjectId, PortalEventTypes.AliasMoved, new
        {
            project = ProjectSlug(db, artifact.ProjectId),
            artifact = artifact.Name,
            alias,
            from = from is null ? null : Describe(from),
            to = to is null ? null : Describe(to),
            actor = Actor(db, actorId),
            reason,
        }, at);
    }

    private static object Describe(ArtifactVersion v) => new
    {
        id = v.Id,
        version = v.Index is { } i ? ArtifactNames.FormatIndex(i) : null,
        digest = v.ManifestDigest,
    };

    private static string ProjectSlug(PortalDbContext db, Guid projectId) => db.Projects.Find(projectId)?.Slug ?? "";

    private static object Actor(PortalDbContext db, string actorId) => new { id = actorId, email = db.Users.Find(actorId)?.Email };
}
