using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Core.Data;
using Portal.Core.Features.Access;

namespace Portal.Core.Features.Artifacts;

/// <summary>
/// Reads a version named the way the README names versions wherever one is asked for: its id
/// (<c>3f2b…-…</c>), or <c>artifact:v3</c>, <c>artifact:production</c> (any alias, <c>latest</c> included) or
/// <c>artifact:&lt;manifest digest or a prefix of at least 8 hex digits&gt;</c>. Only committed versions of projects the caller can read are found.
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
        if (await VersionQueries.ResolveAsync(db, artifact.Id, reference, ct) is { } version)
            return version.Id;
        return await ByDigestPrefixAsync(db, artifact.Id, reference, ct) ?? throw NotFound(slug, text);
    }

    /// <summary>Shortest manifest digest prefix accepted, as short as a person copies from a page.</summary>
    public const int MinDigestPrefix = 8;

    /// <summary>
    /// The newest committed version whose manifest digest starts with <paramref name="reference"/> (hex, optionally
    /// <c>sha256:</c>-prefixed). Read only after index, id, full digest and alias found nothing, so an alias that
    /// looks like hex keeps its meaning. A prefix shared by two different manifests names neither.
    /// </summary>
    private static async Task<Guid?> ByDigestPrefixAsync(PortalDbContext db, Guid artifactId, string reference, CancellationToken ct)
    {
        var prefix = reference.StartsWith("sha256:", StringComparison.Ordinal) ? reference["sha256:".Length..] : reference;
        if (prefix.Length < MinDigestPrefix || prefix.Length > 64 || !prefix.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'))
            return null;
        var committed = db.ArtifactVersions.AsNoTracking().Where(v => v.ArtifactId == artifactId && v.State == VersionState.Committed);
        var digests = await committed.Where(v => v.ManifestDigest.StartsWith(prefix)).Select(v => v.ManifestDigest).Distinct().Take(2).ToListAsync(ct);
        if (digests.Count > 1)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed,
                $"'{reference}' is the start of more than one manifest digest; give more characters.");
        if (digests.Count == 0)
            return null;
        var digest = digests[0];
        return await committed.Where(v => v.ManifestDigest == digest).OrderByDescending(v => v.Index).Select(v => (Guid?)v.Id).FirstOrDefaultAsync(ct);
    }

    private static PortalException Invalid(string spec) =>
        PortalException.BadRequest(ErrorCodes.ValidationFailed,
            $"'{spec}' does not name a version: use its id, or artifact:v3, artifact:<alias> (such as corpus:production) or artifact:<manifest digest or its first 8+ characters>.");

    private static PortalException NotFound(string slug, string spec) =>
        PortalException.NotFound(ErrorCodes.VersionNotFound, $"Project '{slug}' has no committed version '{spec}'.");
}
