using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Storage;

namespace Portal.Core.Features.Evaluations;

/// <summary>An evaluation with the names of its two versions, as one query reads it.</summary>
public sealed record EvaluationListing(
    Evaluation Evaluation,
    string SubjectArtifact,
    string SubjectType,
    int? SubjectIndex,
    string EvalSetArtifact,
    string EvalSetType,
    int? EvalSetIndex,
    string? CreatedBy);

/// <summary>Reading evaluations (project viewers): one, or the project's list, newest first.</summary>
public sealed class EvaluationQueries(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access, IBlobStore store)
{
    public const int MaxListLimit = 500;

    public async Task<EvaluationResponse> GetAsync(ClaimsPrincipal user, string slug, Guid id, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var listing = await Listings(db, grant.Project.Id, id: id).SingleOrDefaultAsync(ct)
            ?? throw NotFound(slug, id);
        return (await WithScoresAsync(db, [listing], ct))[0];
    }

    /// <summary>The project's evaluations, newest first; filtered by subject artifact and eval-set artifact names.</summary>
    public async Task<IReadOnlyList<EvaluationResponse>> ListAsync(
        ClaimsPrincipal user, string slug, string? subject = null, string? evalSet = null, int limit = 100, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        if (limit is < 1 or > MaxListLimit)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, $"limit must be between 1 and {MaxListLimit} (got {limit}).");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var listings = await Listings(db, grant.Project.Id, subject: subject, evalSet: evalSet, limit: limit).ToListAsync(ct);
        return await WithScoresAsync(db, listings, ct);
    }

    /// <summary>The stored rows (canonical NDJSON sorted by example id), verified while read.</summary>
    public async Task<Stream> OpenRowsAsync(ClaimsPrincipal user, string slug, Guid id, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var digest = await db.Evaluations.AsNoTracking().Where(e => e.Id == id && e.ProjectId == grant.Project.Id).Select(e => e.RowsDigest).SingleOrDefaultAsync(ct)
            ?? throw NotFound(slug, id);
        return await store.OpenReadAsync(digest, verify: true, ct);
    }

    /// <summary>
    /// The evaluations of a project joined to the names of their versions, newest first (exposed for the translation
    /// tests). Filters apply before the projection, where they translate: one id, subject and eval-set artifact names.
    /// </summary>
    public static IQueryable<EvaluationListing> Listings(PortalDbContext db, Guid projectId, Guid? id = null, string? subject = null, string? evalSet = null, int? limit = null)
    {
        var joined =
            from e in db.Evaluations.AsNoTracking()
            where e.ProjectId == projectId
            join s in db.ArtifactVersions on e.SubjectVersionId equals s.Id
            join d in db.ArtifactVersions on e.EvalSetVersionId equals d.Id
            select new { e, s, d };
        if (id is { } only)
            joined = joined.Where(x => x.e.Id == only);
        if (!string.IsNullOrWhiteSpace(subject))
        {
            var name = subject.Trim();
            joined = joined.Where(x => x.s.Artifact.Name == name);
        }
        if (!string.IsNullOrWhiteSpace(evalSet))
        {
            var name = evalSet.Trim();
            joined = joined.Where(x => x.d.Artifact.Name == name);
        }
        joined = joined.OrderByDescending(x => x.e.CreatedAt).ThenByDescending(x => x.e.Id);
        if (limit is { } take)
            joined = joined.Take(take);
        return from x in joined
               join u in db.Users on x.e.CreatedById equals u.Id into users
               from u in users.DefaultIfEmpty()
               select new EvaluationListing(x.e, x.s.Artifact.Name, x.s.Artifact.Type, x.s.Index, x.d.Artifact.Name, x.d.Artifact.Type, x.d.Index, u == null ? null : u.DisplayName);
    }

    internal static async Task<List<EvaluationResponse>> WithScoresAsync(PortalDbContext db, IReadOnlyList<EvaluationListing> listings, CancellationToken ct)
    {
        var ids = listings.Select(l => l.Evaluation.Id).ToList();
        var scores = (await db.EvaluationScores.AsNoTracking().Where(s => ids.Contains(s.EvaluationId)).ToListAsync(ct))
            .ToLookup(s => s.EvaluationId);
        return listings.Select(l => ToResponse(l, scores[l.Evaluation.Id])).ToList();
    }

    internal static EvaluationResponse ToResponse(EvaluationListing l, IEnumerable<EvaluationScore> scores)
    {
        var e = l.Evaluation;
        return new EvaluationResponse(
            e.Id, e.Name,
            new EvaluationVersionRef(e.SubjectVersionId, l.SubjectArtifact, l.SubjectType, $"v{l.SubjectIndex}", e.SubjectSpec),
            new EvaluationVersionRef(e.EvalSetVersionId, l.EvalSetArtifact, l.EvalSetType, $"v{l.EvalSetIndex}", e.EvalSetSpec),
            scores.OrderBy(s => s.Ordinal).Select(s => new EvaluationScoreSummary(s.Scorer, s.Count, s.Mean, s.Min, s.Max)).ToList(),
            e.ExampleCount, e.LatencyP50Ms, e.LatencyP95Ms, e.TotalTokens, e.RowsDigest, e.RowsSize, e.RunId,
            l.CreatedBy ?? "Someone", e.CreatedAt);
    }

    internal static PortalException NotFound(string slug, Guid id) =>
        PortalException.NotFound(ErrorCodes.EvaluationNotFound, $"Project '{slug}' has no evaluation {id}.");
}
