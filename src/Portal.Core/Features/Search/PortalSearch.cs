using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;

namespace Portal.Core.Features.Search;

/// <summary>
/// The one search box: artifacts and runs by name, versions by alias, <c>name:reference</c> or manifest-digest prefix,
/// across the projects the user can read. A fixed number of queries whatever the data, each limited: digests and
/// <c>name:reference</c> go through the manifest-digest and (project, name) indexes; name matches are "contains"
/// within the readable projects' rows, starts-with first.
/// </summary>
public sealed partial class PortalSearch(IDbContextFactory<PortalDbContext> dbFactory)
{
    public const int DefaultLimit = 8;
    public const int MaxLimit = 50;
    public const int MaxQueryLength = 200;

    /// <summary>Shorter hex strings match too many digests to be worth an index scan.</summary>
    public const int MinDigestPrefix = 6;

    public async Task<SearchResponse> SearchAsync(ClaimsPrincipal user, string? query, int? limit = null, CancellationToken ct = default)
    {
        var userId = ProjectAccess.UserId(user) ?? throw PortalException.Unauthenticated();
        var take = limit ?? DefaultLimit;
        if (take is < 1 or > MaxLimit)
            throw PortalException.BadRequest(ErrorCodes.LimitInvalid, $"limit must be between 1 and {MaxLimit}.");
        var term = (query ?? "").Trim();
        if (term.Length > MaxQueryLength)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, $"A search has at most {MaxQueryLength} characters (got {term.Length}).");
        if (term.Length == 0)
            return new SearchResponse("", [], [], [], false);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var isSiteAdmin = await db.Users.Where(u => u.Id == userId).Select(u => u.IsSiteAdmin).SingleOrDefaultAsync(ct);
        var readable = isSiteAdmin
            ? db.Projects.Select(p => p.Id)
            : db.Memberships.Where(m => m.UserId == userId).Select(m => m.ProjectId);

        var lower = term.ToLowerInvariant();
        var artifacts = await db.Artifacts.AsNoTracking()
            .Where(a => readable.Contains(a.ProjectId) && a.Name.ToLower().Contains(lower))
            .OrderBy(a => a.Name.ToLower().StartsWith(lower) ? 0 : 1).ThenBy(a => a.Name).ThenBy(a => a.Project.Slug)
            .Select(a => new { a.Name, a.Type, a.Project.Slug, a.Description })
            .Take(take + 1)
            .ToListAsync(ct);
        var runs = await db.Runs.AsNoTracking()
            .Where(r => readable.Contains(r.ProjectId) && r.Name.ToLower().Contains(lower))
            .OrderByDescending(r => r.StartedAt)
            .Select(r => new { r.Id, r.Name, r.JobType, r.Status, r.Project.Slug, r.StartedAt })
            .Take(take + 1)
            .ToListAsync(ct);

        var versions = new List<VersionRow>();
        var committed = db.ArtifactVersions.AsNoTracking().Where(v => v.State == VersionState.Committed && readable.Contains(v.Artifact.ProjectId));
        if (ReferencePattern().Match(term) is { Success: true } reference)
        {
            // name:vN or name:alias, W&B style.
            var name = reference.Groups["name"].Value;
            var target = reference.Groups["ref"].Value;
            var byName = committed.Where(v => v.Artifact.Name == name);
            var matched = ArtifactNames.ParseIndex(target) is { } index
                ? byName.Where(v => v.Index == index)
                : byName.Where(v => db.Aliases.Any(l => l.VersionId == v.Id && l.Name == target));
            versions.AddRange(await Rows(matched, "reference").Take(take + 1).ToListAsync(ct));
        }
        else
        {
            var aliased = committed.Where(v => db.Aliases.Any(l => l.VersionId == v.Id && (l.Name == term || l.Name == lower)));
            versions.AddRange(await Rows(aliased.OrderByDescending(v => v.CommittedAt), "alias").Take(take + 1).ToListAsync(ct));
            if (term.Length >= MinDigestPrefix && HexPattern().IsMatch(lower))
            {
                // A range on the index rather than LIKE, so every provider seeks whatever its collation.
                var upper = lower + "g";
                var byDigest = committed.Where(v => string.Compare(v.ManifestDigest, lower) >= 0 && string.Compare(v.ManifestDigest, upper) < 0);
                versions.AddRange(await Rows(byDigest.OrderByDescending(v => v.CommittedAt), "digest").Take(take + 1).ToListAsync(ct));
            }
        }

        var capped = artifacts.Count > take || runs.Count > take || versions.Count > take;
        return new SearchResponse(
            term,
            artifacts.Take(take).Select(a => new SearchHit(SearchHitKind.Artifact, a.Slug, a.Name, a.Type, ArtifactHref(a.Slug, a.Name), "name")).ToList(),
            versions.Take(take).Select(v => v.ToHit()).ToList(),
            runs.Take(take).Select(r => new SearchHit(SearchHitKind.Run, r.Slug, r.Name, $"{r.JobType} · {r.Status.ToString().ToLowerInvariant()}", $"/projects/{r.Slug}/runs/{r.Id}", "name")).ToList(),
            capped);
    }

    private static IQueryable<VersionRow> Rows(IQueryable<ArtifactVersion> versions, string matchedBy) =>
        versions.Select(v => new VersionRow(v.Artifact.Project.Slug, v.Artifact.Name, v.Index!.Value, v.ManifestDigest, matchedBy));

    private static string ArtifactHref(string slug, string name) => $"/projects/{slug}/artifacts/{Uri.EscapeDataString(name)}";

    private sealed record VersionRow(string Slug, string Name, int Index, string Digest, string MatchedBy)
    {
        public SearchHit ToHit()
        {
            var version = ArtifactNames.FormatIndex(Index);
            return new SearchHit(SearchHitKind.Version, Slug, $"{Name}:{version}", $"{MatchedBy} · {Digest[..12]}", $"{ArtifactHref(Slug, Name)}/{version}", MatchedBy);
        }
    }

    [GeneratedRegex("^(?<name>[A-Za-z0-9._-]{1,128}):(?<ref>[A-Za-z0-9._-]{1,128})$")]
    private static partial Regex ReferencePattern();

    [GeneratedRegex("^[0-9a-f]+$")]
    private static partial Regex HexPattern();
}

public static class SearchServiceCollectionExtensions
{
    public static IServiceCollection AddSearchFeature(this IServiceCollection services) => services.AddScoped<PortalSearch>();
}
