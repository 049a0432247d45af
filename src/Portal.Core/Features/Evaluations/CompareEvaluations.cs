using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Storage;

namespace Portal.Core.Features.Evaluations;

/// <summary>
/// Two evaluations side by side: which examples got worse or better (same eval-set version), and how much of a change
/// came from the subject and how much from the data (attribution through the crossed evaluations).
/// </summary>
public sealed class CompareEvaluations(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access, IBlobStore store)
{
    public const int MaxLimit = 1000;

    /// <summary>Merges the two evaluations' sorted rows by example id.</summary>
    public async Task<EvaluationExampleComparison> ExamplesAsync(
        ClaimsPrincipal user, string slug, Guid beforeId, Guid afterId, string? metric = null, int limit = 50, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        if (limit is < 1 or > MaxLimit)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, $"limit must be between 1 and {MaxLimit} (got {limit}).");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var before = await LoadAsync(db, grant, beforeId, ct);
        var after = await LoadAsync(db, grant, afterId, ct);
        if (before.Evaluation.EvalSetVersionId != after.Evaluation.EvalSetVersionId)
        {
            throw PortalException.Conflict(ErrorCodes.EvaluationsNotComparable,
                $"The evaluations ran on different eval-set versions ({before.Evaluation.EvalSetSpec} and {after.Evaluation.EvalSetSpec}); examples are compared on the same eval-set version only. Use the attribution to split a change between subject and data.");
        }
        var chosen = ChooseMetric(metric, before.Scorers, after.Scorers);
        var beforeRows = await ReadRowsAsync(before, ct);
        var afterRows = await ReadRowsAsync(after, ct);
        return Merge(beforeId, afterId, chosen, beforeRows, before.Scorers.IndexOf(chosen), afterRows, after.Scorers.IndexOf(chosen), limit);
    }

    /// <summary>The per-example merge of two id-sorted row lists (public for the benchmark and the property tests).</summary>
    public static EvaluationExampleComparison Merge(
        Guid beforeId, Guid afterId, string metric, IReadOnlyList<EvaluationExample> before, int beforeScorer, IReadOnlyList<EvaluationExample> after, int afterScorer, int limit)
    {
        var changes = new List<ExampleChange>();
        long unchanged = 0, onlyBefore = 0, onlyAfter = 0;
        int i = 0, j = 0;
        while (i < before.Count || j < after.Count)
        {
            var order = i == before.Count ? 1 : j == after.Count ? -1 : string.CompareOrdinal(before[i].Id, after[j].Id);
            if (order < 0)
            {
                if (!double.IsNaN(before[i].Scores[beforeScorer]))
                    onlyBefore++;
                i++;
                continue;
            }
            if (order > 0)
            {
                if (!double.IsNaN(after[j].Scores[afterScorer]))
                    onlyAfter++;
                j++;
                continue;
            }
            var (b, a) = (before[i].Scores[beforeScorer], after[j].Scores[afterScorer]);
            if (double.IsNaN(b) && !double.IsNaN(a))
                onlyAfter++;
            else if (!double.IsNaN(b) && double.IsNaN(a))
                onlyBefore++;
            else if (!double.IsNaN(b))
            {
                if (a == b)
                    unchanged++;
                else
                    changes.Add(new ExampleChange(before[i].Id, b, a, a - b, before[i].Output, after[j].Output));
            }
            i++;
            j++;
        }
        var worse = changes.Where(c => c.Delta < 0).ToList();
        var better = changes.Where(c => c.Delta > 0).ToList();
        return new EvaluationExampleComparison(beforeId, afterId, metric, worse.Count, better.Count, unchanged, onlyBefore, onlyAfter,
            worse.OrderBy(c => c.Delta).ThenBy(c => c.Id, StringComparer.Ordinal).Take(limit).ToList(),
            better.OrderByDescending(c => c.Delta).ThenBy(c => c.Id, StringComparer.Ordinal).Take(limit).ToList());
    }

    /// <summary>Splits the change of <paramref name="metric"/> from <paramref name="beforeId"/> to <paramref name="afterId"/> into subject and data parts.</summary>
    public async Task<EvaluationAttributionResponse> AttributeAsync(
        ClaimsPrincipal user, string slug, Guid beforeId, Guid afterId, string? metric = null, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var before = await LoadAsync(db, grant, beforeId, ct);
        var after = await LoadAsync(db, grant, afterId, ct);
        var chosen = ChooseMetric(metric, before.Scorers, after.Scorers);
        var (s1, d1) = (before.Evaluation.SubjectVersionId, before.Evaluation.EvalSetVersionId);
        var (s2, d2) = (after.Evaluation.SubjectVersionId, after.Evaluation.EvalSetVersionId);
        var names = await VersionNamesAsync(db, [s1, d1, s2, d2], ct);
        var b = await ValueOfAsync(db, beforeId, chosen, ct) ?? throw NoValue(chosen, beforeId);
        var a = await ValueOfAsync(db, afterId, chosen, ct) ?? throw NoValue(chosen, afterId);
        var beforeRef = new AttributionEvaluation(beforeId, names[s1], names[d1], b);
        var afterRef = new AttributionEvaluation(afterId, names[s2], names[d2], a);
        var total = a - b;
        if (d1 == d2)
            return new EvaluationAttributionResponse(chosen, beforeRef, afterRef, total, total, 0, [], []);
        if (s1 == s2)
            return new EvaluationAttributionResponse(chosen, beforeRef, afterRef, total, 0, total, [], []);

        var crossings = new List<AttributionEvaluation>();
        var missing = new List<string>();
        var subjectParts = new List<double>();
        var dataParts = new List<double>();
        // Through (s2, d1): the subject changed first, on the old data.
        if (await LatestAsync(db, grant.Project.Id, s2, d1, chosen, ct) is { } newOnOld)
        {
            crossings.Add(new AttributionEvaluation(newOnOld.Id, names[s2], names[d1], newOnOld.Value));
            subjectParts.Add(newOnOld.Value - b);
            dataParts.Add(a - newOnOld.Value);
        }
        else
        {
            missing.Add($"{names[s2]} on {names[d1]}");
        }
        // Through (s1, d2): the data changed first, under the old subject.
        if (await LatestAsync(db, grant.Project.Id, s1, d2, chosen, ct) is { } oldOnNew)
        {
            crossings.Add(new AttributionEvaluation(oldOnNew.Id, names[s1], names[d2], oldOnNew.Value));
            dataParts.Add(oldOnNew.Value - b);
            subjectParts.Add(a - oldOnNew.Value);
        }
        else
        {
            missing.Add($"{names[s1]} on {names[d2]}");
        }
        // With both crossings the two orders are averaged, so neither part depends on which changed "first".
        return new EvaluationAttributionResponse(chosen, beforeRef, afterRef, total,
            subjectParts.Count == 0 ? null : subjectParts.Average(),
            dataParts.Count == 0 ? null : dataParts.Average(),
            crossings, missing);
    }

    /// <summary>The evaluations of a pair with their value of the metric, newest first (exposed for the translation tests).</summary>
    public static IQueryable<MetricValue> Values(PortalDbContext db, Guid projectId, Guid subjectVersionId, Guid evalSetVersionId, string metric) =>
        from e in db.Evaluations.AsNoTracking()
        where e.ProjectId == projectId && e.SubjectVersionId == subjectVersionId && e.EvalSetVersionId == evalSetVersionId
        join s in db.EvaluationScores on e.Id equals s.EvaluationId
        where s.Scorer == metric && s.Mean != null
        orderby e.CreatedAt descending, e.Id descending
        select new MetricValue(e.Id, s.Mean!.Value, e.CreatedAt);

    public static Task<MetricValue?> LatestAsync(PortalDbContext db, Guid projectId, Guid subjectVersionId, Guid evalSetVersionId, string metric, CancellationToken ct) =>
        Values(db, projectId, subjectVersionId, evalSetVersionId, metric).FirstOrDefaultAsync(ct);

    internal static async Task<Dictionary<Guid, string>> VersionNamesAsync(PortalDbContext db, IReadOnlyCollection<Guid> ids, CancellationToken ct) =>
        (await db.ArtifactVersions.AsNoTracking()
            .Where(v => ids.Contains(v.Id))
            .Select(v => new { v.Id, v.Artifact.Name, v.Index })
            .ToListAsync(ct))
        .ToDictionary(v => v.Id, v => $"{v.Name}:v{v.Index}");

    private static async Task<double?> ValueOfAsync(PortalDbContext db, Guid evaluationId, string metric, CancellationToken ct) =>
        await db.EvaluationScores.AsNoTracking().Where(s => s.EvaluationId == evaluationId && s.Scorer == metric).Select(s => s.Mean).SingleOrDefaultAsync(ct);

    private sealed record Loaded(Evaluation Evaluation, List<string> Scorers);

    private static async Task<Loaded> LoadAsync(PortalDbContext db, ProjectAccessGrant grant, Guid id, CancellationToken ct)
    {
        var evaluation = await db.Evaluations.AsNoTracking().SingleOrDefaultAsync(e => e.Id == id && e.ProjectId == grant.Project.Id, ct)
            ?? throw EvaluationQueries.NotFound(grant.Project.Slug, id);
        var scorers = await db.EvaluationScores.AsNoTracking().Where(s => s.EvaluationId == id).OrderBy(s => s.Ordinal).Select(s => s.Scorer).ToListAsync(ct);
        return new Loaded(evaluation, scorers);
    }

    private async Task<List<EvaluationExample>> ReadRowsAsync(Loaded loaded, CancellationToken ct)
    {
        await using var stream = await store.OpenReadAsync(loaded.Evaluation.RowsDigest, verify: true, ct);
        return await EvaluationRowsFile.ReadStoredAsync(stream, loaded.Scorers, ct);
    }

    private static string ChooseMetric(string? metric, List<string> before, List<string> after)
    {
        var common = before.Where(after.Contains).ToList();
        if (string.IsNullOrWhiteSpace(metric))
        {
            return common.FirstOrDefault() ?? throw PortalException.BadRequest(ErrorCodes.MetricNotFound,
                $"The evaluations share no scorer ({string.Join(", ", before)} and {string.Join(", ", after)}).");
        }
        var chosen = metric.Trim();
        return common.Contains(chosen, StringComparer.Ordinal)
            ? chosen
            : throw PortalException.BadRequest(ErrorCodes.MetricNotFound,
                $"Metric '{chosen}' is not in both evaluations; they share {(common.Count == 0 ? "no scorer" : string.Join(", ", common))}.");
    }

    private static PortalException NoValue(string metric, Guid id) =>
        PortalException.BadRequest(ErrorCodes.MetricNotFound, $"Evaluation {id} has no value of '{metric}' (no row scored it).");
}

/// <summary>An evaluation's value of one metric.</summary>
public sealed record MetricValue(Guid Id, double Value, DateTimeOffset CreatedAt);
