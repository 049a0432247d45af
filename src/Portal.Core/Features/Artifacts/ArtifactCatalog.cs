using System.Globalization;
using System.Security.Claims;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;

namespace Portal.Core.Features.Artifacts;

/// <summary>The read side of artifacts: lists, one artifact, its committed versions, and version references.</summary>
public sealed class ArtifactCatalog(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;

    /// <summary>
    /// The project's artifacts by name, optionally of one type, with a name containing <paramref name="search"/>, and
    /// whose latest version's metadata matches <paramref name="metadata"/> (<c>key=value</c>, see <see cref="MetadataFilter"/>).
    /// </summary>
    public async Task<IReadOnlyList<ArtifactResponse>> ListAsync(ClaimsPrincipal user, string slug, string? type = null, string? search = null, string? metadata = null, CancellationToken ct = default)
    {
        var filter = MetadataFilter.Parse(metadata);
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Artifacts.AsNoTracking().Where(a => a.ProjectId == grant.Project.Id);
        if (!string.IsNullOrWhiteSpace(type))
            query = query.Where(a => a.Type == type.Trim());
        if (!string.IsNullOrWhiteSpace(search))
        {
            var term = search.Trim().ToLowerInvariant();
            query = query.Where(a => a.Name.ToLower().Contains(term));
        }
        if (filter is not null)
        {
            // SQL keeps the artifacts whose latest metadata mentions the key; the JSON is then read for the value.
            var key = filter.QuotedLeafKey;
            query = query.Where(a => db.Aliases.Any(l => l.ArtifactId == a.Id && l.Name == ArtifactNames.Latest && l.Version.MetadataJson.Contains(key)));
        }

        var rows = await Project(db, query.OrderBy(a => a.Name)).Take(1000).ToListAsync(ct);
        if (filter is not null && rows.Count > 0)
        {
            var ids = rows.Select(r => r.Id).ToList();
            var latest = await db.Aliases.AsNoTracking()
                .Where(l => ids.Contains(l.ArtifactId) && l.Name == ArtifactNames.Latest)
                .Select(l => new { l.ArtifactId, l.Version.MetadataJson })
                .ToDictionaryAsync(l => l.ArtifactId, l => l.MetadataJson, ct);
            rows = rows.Where(r => latest.TryGetValue(r.Id, out var json) && filter.Matches(json)).ToList();
        }

        return rows.Select(r => r.ToResponse()).ToList();
    }

    public async Task<ArtifactResponse> GetAsync(ClaimsPrincipal user, string slug, string name, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Artifacts.AsNoTracking().Where(a => a.ProjectId == grant.Project.Id && a.Name == name);
        var row = await Project(db, query).SingleOrDefaultAsync(ct) ?? throw ArtifactNotFound(slug, name);
        return row.ToResponse();
    }

    /// <summary>
    /// Committed versions, newest first, paged by keyset on the index (stable while new versions are committed: a
    /// token means "older than vN").
    /// </summary>
    public async Task<PagedResponse<ArtifactVersionResponse>> ListVersionsAsync(
        ClaimsPrincipal user, string slug, string name, int? limit = null, string? continuationToken = null, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        var pageSize = Math.Clamp(limit ?? DefaultPageSize, 1, MaxPageSize);
        var before = continuationToken is null ? (int?)null : ParseToken(continuationToken);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var artifact = await FindAsync(db, grant, name, ct);
        var committed = db.ArtifactVersions.AsNoTracking().Where(v => v.ArtifactId == artifact.Id && v.State == VersionState.Committed);
        var total = await committed.CountAsync(ct);
        var page = committed;
        if (before is { } b)
            page = page.Where(v => v.Index < b);
        var versions = await page.OrderByDescending(v => v.Index).Take(pageSize + 1).ToListAsync(ct);
        string? next = null;
        if (versions.Count > pageSize)
        {
            versions.RemoveAt(pageSize);
            next = MakeToken(versions[^1].Index!.Value);
        }
        var items = await VersionQueries.ToResponsesAsync(db, artifact, versions, ct);
        return new PagedResponse<ArtifactVersionResponse>(items, total, next);
    }

    /// <summary>One committed version by <c>vN</c>, alias, version id or manifest digest.</summary>
    public async Task<ArtifactVersionResponse> GetVersionAsync(ClaimsPrincipal user, string slug, string name, string reference, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var artifact = await FindAsync(db, grant, name, ct);
        var version = await VersionQueries.ResolveAsync(db, artifact.Id, reference, ct)
            ?? throw PortalException.NotFound(ErrorCodes.VersionNotFound, $"Artifact '{name}' has no committed version '{reference}'.");
        return await VersionQueries.ToResponseAsync(db, artifact, version, ct);
    }

    /// <summary>Resolves <c>name:reference</c> (W&amp;B style, e.g. <c>corpus:production</c>); a bare name means <c>name:latest</c>.</summary>
    public Task<ArtifactVersionResponse> ResolveAsync(ClaimsPrincipal user, string slug, string specification, CancellationToken ct = default)
    {
        var colon = specification.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? specification : specification[..colon];
        var reference = colon < 0 ? ArtifactNames.Latest : specification[(colon + 1)..];
        return GetVersionAsync(user, slug, name, reference, ct);
    }

    internal static async Task<Artifact> FindAsync(PortalDbContext db, ProjectAccessGrant grant, string name, CancellationToken ct) =>
        await db.Artifacts.AsNoTracking().SingleOrDefaultAsync(a => a.ProjectId == grant.Project.Id && a.Name == name, ct)
        ?? throw ArtifactNotFound(grant.Project.Slug, name);

    internal static PortalException ArtifactNotFound(string slug, string name) =>
        PortalException.NotFound(ErrorCodes.ArtifactNotFound, $"Project '{slug}' has no artifact '{name}'.");

    internal sealed record ArtifactRow(Guid Id, string Name, string Type, string Description, DateTimeOffset CreatedAt, int VersionCount, int? LatestIndex)
    {
        public ArtifactResponse ToResponse() =>
            new(Id, Name, Type, Description, CreatedAt, VersionCount, LatestIndex is { } i ? ArtifactNames.FormatIndex(i) : null);
    }

    internal static IQueryable<ArtifactRow> Project(PortalDbContext db, IQueryable<Artifact> artifacts) =>
        artifacts.Select(a => new ArtifactRow(
            a.Id,
            a.Name,
            a.Type,
            a.Description,
            a.CreatedAt,
            db.ArtifactVersions.Count(v => v.ArtifactId == a.Id && v.State == VersionState.Committed),
            db.Aliases.Where(l => l.ArtifactId == a.Id && l.Name == ArtifactNames.Latest).Select(l => l.Version.Index).FirstOrDefault()));

    // Opaque to clients so that the keyset can change without breaking them.
    private static string MakeToken(int index) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes("before:" + index.ToString(CultureInfo.InvariantCulture)));

    private static int ParseToken(string token)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            if (text.StartsWith("before:", StringComparison.Ordinal)
                && int.TryParse(text.AsSpan(7), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                return index;
        }
        catch (FormatException)
        {
            // Falls through to the same answer as a well-formed but meaningless token.
        }
        throw PortalException.BadRequest(ErrorCodes.ContinuationInvalid, "The continuation token is not one this API issued; start again without it.");
    }
}
