using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Core.Data;
using Portal.Core.Features.Access;

namespace Portal.Core.Features.Artifacts;

/// <summary>
/// Reads a version named the way the README names versions wherever one is asked for: its id
/// (<c>3f2b…-…</c>), or <c>artifact:v3</c>, <c>artifact:production</c> (any alias, <c>latest</c> included) or
/// <c>artifact:sha256-manifest-digest</c>. Only committed versions of projects the caller can read are found.
/// </summary>
public sealed class VersionSpecs(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access)
{
    /// <summary>The id of the committed version <paramref name="spec"/> names in project <paramref name="slug"/>.</summary>
    public async Task<Guid> ResolveAsync(ClaimsPrincipal user, string slug, string? spec, CancellationToken ct = default)
    {
        var text = spec?.Trim() ?? "";
        if (text.Length == 0)
            throw Invalid(text);
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (Guid.TryParseExact(text, "D", out var id))
        {
            var exists = await db.ArtifactVersions.AsNoTracking()
                .AnyAsync(v => v.Id == id && v.State == VersionState.Committed && v.Artifact.ProjectId == grant.Project.Id, ct);
            return exists ? id : throw NotFound(slug, text);
        }
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == text.Length - 1)
            throw Invalid(text);
        var (name, reference) = (text[..colon], text[(colon + 1)..]);
        var artifact = await ArtifactCatalog.FindAsync(db, grant, name, ct);
        var version = await VersionQueries.ResolveAsync(db, artifact.Id, reference, ct) ?? throw NotFound(slug, text);
        return version.Id;
    }

    private static PortalException Invalid(string spec) =>
        PortalException.BadRequest(ErrorCodes.ValidationFailed,
            $"'{spec}' does not name a version: use its id, or artifact:v3, artifact:<alias> (such as corpus:production) or artifact:<manifest digest>.");

    private static PortalException NotFound(string slug, string spec) =>
        PortalException.NotFound(ErrorCodes.VersionNotFound, $"Project '{slug}' has no committed version '{spec}'.");
}
