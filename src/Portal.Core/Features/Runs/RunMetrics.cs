using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;

namespace Portal.Core.Features.Runs;

/// <summary>
/// A run's metric history: batches of (key, step, value) points, and the summary that holds each key's last value.
/// Logging needs Contributor and a running run; reading needs Viewer.
/// </summary>
public sealed partial class RunMetrics(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access, TimeProvider clock)
{
    public const int MaxBatch = 10_000;
    public const int MaxKeysPerRead = 50;

    [GeneratedRegex("^[A-Za-z0-9_./-]{1,128}$", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();

    /// <summary>
    /// Appends the points and sets each key's summary value to the point with the highest step (the later one in the
    /// batch on a tie) — unless an earlier batch already logged a higher step, so a retried old batch does not roll
    /// the summary back. Not audited: metric points are high-frequency telemetry, and an audit event per batch would
    /// make every run's logging queue on the audit chain's single head row.
    /// </summary>
    public async Task<LogMetricsResponse> LogAsync(ClaimsPrincipal user, string slug, Guid runId, IReadOnlyList<MetricPointRequest?>? points, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Contributor, ct);
        Validate(points);
        var now = clock.GetUtcNow();
        var batch = points!.Select(p => p!).ToList();

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var run = await Runs.LockAsync(db, grant.Project.Id, runId, ct);
        if (run.Status != RunStatus.Running)
            throw Runs.Finished(run);

        var lastInBatch = new Dictionary<string, MetricPointRequest>(StringComparer.Ordinal);
        foreach (var point in batch)
        {
            if (!lastInBatch.TryGetValue(point.Key, out var last) || point.Step >= last.Step)
                lastInBatch[point.Key] = point;
        }

        var keys = lastInBatch.Keys.ToList();
        var loggedBefore = await db.RunMetricPoints.AsNoTracking()
            .Where(p => p.RunId == runId && keys.Contains(p.Key))
            .GroupBy(p => p.Key)
            .Select(g => new { g.Key, MaxStep = g.Max(p => p.Step) })
            .ToDictionaryAsync(g => g.Key, g => g.MaxStep, StringComparer.Ordinal, ct);
        var newest = lastInBatch.Values
            .Where(p => !loggedBefore.TryGetValue(p.Key, out var maxStep) || p.Step >= maxStep)
            .Select(p => KeyValuePair.Create(p.Key, p.Value));
        run.SummaryJson = RunJson.SetNumbers(run.SummaryJson, newest, "summary");

        db.RunMetricPoints.AddRange(batch.Select(p => new RunMetricPoint
        {
            RunId = runId,
            Key = p.Key,
            Step = p.Step,
            Value = p.Value,
            LoggedAt = Runs.Stored(p.Timestamp ?? now),
        }));
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return new LogMetricsResponse(batch.Count, RunJson.Parse(run.SummaryJson));
    }

    /// <summary>The history of each requested key, in step order (points logged at the same step in logging order).</summary>
    public async Task<IReadOnlyList<MetricHistoryResponse>> HistoryAsync(ClaimsPrincipal user, string slug, Guid runId, IReadOnlyList<string>? keys, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        var wanted = (keys ?? []).Where(k => !string.IsNullOrWhiteSpace(k)).Select(k => k.Trim()).Distinct(StringComparer.Ordinal).ToList();
        if (wanted.Count == 0)
            throw PortalException.BadRequest(ErrorCodes.MetricInvalid, "Name the metrics to read with ?key=… (repeat it for several); GET …/metrics/keys lists them.");
        if (wanted.Count > MaxKeysPerRead)
            throw PortalException.BadRequest(ErrorCodes.MetricInvalid, $"Read at most {MaxKeysPerRead} metrics at once (got {wanted.Count}).");

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await Runs.EnsureExistsAsync(db, grant.Project.Id, runId, ct);
        var rows = await db.RunMetricPoints.AsNoTracking()
            .Where(p => p.RunId == runId && wanted.Contains(p.Key))
            .OrderBy(p => p.Key).ThenBy(p => p.Step).ThenBy(p => p.Id)
            .Select(p => new { p.Key, p.Step, p.Value, p.LoggedAt })
            .ToListAsync(ct);
        var byKey = rows.ToLookup(r => r.Key, StringComparer.Ordinal);
        return wanted
            .Select(k => new MetricHistoryResponse(k, byKey[k].Select(r => new MetricPointResponse(r.Step, r.Value, r.LoggedAt)).ToList()))
            .ToList();
    }

    public async Task<IReadOnlyList<string>> KeysAsync(ClaimsPrincipal user, string slug, Guid runId, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await Runs.EnsureExistsAsync(db, grant.Project.Id, runId, ct);
        var keys = await db.RunMetricPoints.AsNoTracking()
            .Where(p => p.RunId == runId)
            .Select(p => p.Key)
            .Distinct()
            .ToListAsync(ct);
        // Sorted here so every provider returns the same ordinal order, whatever its collation.
        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    private static void Validate(IReadOnlyList<MetricPointRequest?>? points)
    {
        if (points is null || points.Count == 0)
            throw PortalException.BadRequest(ErrorCodes.MetricInvalid, "Send a JSON array of metric points such as [{\"key\": \"loss\", \"step\": 0, \"value\": 0.5}].");
        if (points.Count > MaxBatch)
            throw PortalException.BadRequest(ErrorCodes.MetricInvalid, $"A batch has at most {MaxBatch:N0} points (got {points.Count:N0}); split it into several requests.");
        for (var i = 0; i < points.Count; i++)
        {
            var point = points[i];
            string? problem = point switch
            {
                null => "is null",
                { Key: null } or { Key.Length: 0 } => "has no key",
                _ when !KeyPattern().IsMatch(point.Key) =>
                    $"has key '{(point.Key.Length > 80 ? point.Key[..80] + "…" : point.Key)}'; a key is 1 to 128 characters of A-Z, a-z, 0-9 and _ . / -",
                { Step: < 0 } => $"has step {point.Step}; steps start at 0",
                _ when !double.IsFinite(point.Value) => $"has value {point.Value}; values must be finite numbers",
                _ => null,
            };
            if (problem is not null)
            {
                throw PortalException.BadRequest(ErrorCodes.MetricInvalid, $"Metric point {i} {problem}. Nothing from this batch was logged.",
                    new Dictionary<string, object?> { ["index"] = i });
            }
        }
    }
}
