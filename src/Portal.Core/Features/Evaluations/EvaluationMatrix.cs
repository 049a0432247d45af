using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;

namespace Portal.Core.Features.Evaluations;

/// <summary>One evaluation's value of a metric, with where it sits in the matrix.</summary>
public sealed record EvaluationMatrixPoint(
    Guid EvaluationId, Guid SubjectVersionId, int? SubjectIndex, Guid EvalSetVersionId, string EvalSetArtifact, int? EvalSetIndex,
    double? Value, long Count, DateTimeOffset CreatedAt);

/// <summary>
/// The versions of an artifact (rows) × the eval-set versions they were evaluated on (columns), for one metric; each
/// cell is the newest evaluation of that pair, with its change from the previous version evaluated on the same column.
/// </summary>
public sealed class EvaluationMatrix(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access)
{
    public async Task<EvaluationMatrixResponse> GetAsync(ClaimsPrincipal user, string slug, string artifactName, string? metric = null, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var artifact = await ArtifactCatalog.FindAsync(db, grant, artifactName, ct);
        var metrics = await Metrics(db, artifact.Id).ToListAsync(ct);
        metrics.Sort(StringComparer.Ordinal);
        if (metrics.Count == 0)
            return new EvaluationMatrixResponse(artifact.Name, null, [], [], []);
        var chosen = string.IsNullOrWhiteSpace(metric) ? metrics[0] : metric.Trim();
        if (!metrics.Contains(chosen, StringComparer.Ordinal))
        {
            throw PortalException.NotFound(ErrorCodes.MetricNotFound,
                $"No evaluation of '{artifact.Name}' has the metric '{chosen}'; its metrics are {string.Join(", ", metrics)}.");
        }

        var points = await Points(db, artifact.Id, chosen).ToListAsync(ct);
        // The newest evaluation of each (subject, eval set) pair fills the cell.
        var cells = points
            .GroupBy(p => (p.SubjectVersionId, p.EvalSetVersionId))
            .ToDictionary(g => g.Key, g => g.OrderByDescending(p => p.CreatedAt).ThenByDescending(p => p.EvaluationId).First());
        var columns = points
            .Select(p => (p.EvalSetVersionId, p.EvalSetArtifact, p.EvalSetIndex)).Distinct()
            .OrderBy(c => c.EvalSetArtifact, StringComparer.Ordinal).ThenBy(c => c.EvalSetIndex)
            .ToList();
        var rows = points
            .Select(p => (p.SubjectVersionId, p.SubjectIndex)).Distinct()
            .OrderBy(r => r.SubjectIndex)
            .ToList();
        var versionIds = columns.Select(c => c.EvalSetVersionId).Concat(rows.Select(r => r.SubjectVersionId)).ToList();
        var aliases = (await db.Aliases.AsNoTracking()
                .Where(a => versionIds.Contains(a.VersionId))
                .Select(a => new { a.VersionId, a.Name })
                .ToListAsync(ct))
            .ToLookup(a => a.VersionId, a => a.Name);

        var previous = new double?[columns.Count];
        var matrixRows = new List<EvaluationMatrixRow>(rows.Count);
        foreach (var row in rows)
        {
            var rowCells = new EvaluationMatrixCell?[columns.Count];
            for (var c = 0; c < columns.Count; c++)
            {
                if (!cells.TryGetValue((row.SubjectVersionId, columns[c].EvalSetVersionId), out var point))
                    continue;
                var delta = point.Value is { } value && previous[c] is { } before ? value - before : (double?)null;
                rowCells[c] = new EvaluationMatrixCell(point.EvaluationId, point.Value, delta, point.Count, point.CreatedAt);
                if (point.Value is not null)
                    previous[c] = point.Value;
            }
            matrixRows.Add(new EvaluationMatrixRow(row.SubjectVersionId, $"v{row.SubjectIndex}", Sorted(aliases[row.SubjectVersionId]), rowCells));
        }
        return new EvaluationMatrixResponse(
            artifact.Name, chosen, metrics,
            columns.Select(c => new EvaluationMatrixColumn(c.EvalSetVersionId, c.EvalSetArtifact, $"v{c.EvalSetIndex}", Sorted(aliases[c.EvalSetVersionId]))).ToList(),
            matrixRows);
    }

    /// <summary>The scorers of an artifact's evaluations.</summary>
    public static IQueryable<string> Metrics(PortalDbContext db, Guid subjectArtifactId) =>
        db.EvaluationScores.AsNoTracking()
            .Where(s => db.Evaluations.Any(e => e.Id == s.EvaluationId && e.SubjectArtifactId == subjectArtifactId))
            .Select(s => s.Scorer)
            .Distinct();

    /// <summary>Every evaluation of the artifact's versions with its value of <paramref name="metric"/>.</summary>
    public static IQueryable<EvaluationMatrixPoint> Points(PortalDbContext db, Guid subjectArtifactId, string metric) =>
        from e in db.Evaluations.AsNoTracking()
        where e.SubjectArtifactId == subjectArtifactId
        join s in db.EvaluationScores on e.Id equals s.EvaluationId
        where s.Scorer == metric
        join sv in db.ArtifactVersions on e.SubjectVersionId equals sv.Id
        join dv in db.ArtifactVersions on e.EvalSetVersionId equals dv.Id
        select new EvaluationMatrixPoint(e.Id, e.SubjectVersionId, sv.Index, e.EvalSetVersionId, dv.Artifact.Name, dv.Index, s.Mean, s.Count, e.CreatedAt);

    private static List<string> Sorted(IEnumerable<string> names) => names.Order(StringComparer.Ordinal).ToList();
}
