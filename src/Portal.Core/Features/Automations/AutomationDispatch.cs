using Hangfire;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Features.Events;

namespace Portal.Core.Features.Automations;

/// <summary>
/// Turns outbox events into automation runs. Called by the webhook dispatcher for the same batch of events, inside its
/// unit of work, so an event is fanned out to webhooks and to rules exactly once (the unique (event, rule) key makes a
/// second dispatcher's save fail and start over, as for webhook deliveries).
/// </summary>
public static class AutomationDispatch
{
    public static readonly TimeSpan GuardWindow = TimeSpan.FromHours(1);

    /// <summary>A run still marked running after this long was left by a worker that died; it may be claimed again.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(10);

    /// <summary>Adds one run per matching enabled rule; returns the runs that wait for a job (skipped runs are finished already).</summary>
    public static async Task<List<AutomationRun>> AddRunsAsync(PortalDbContext db, IReadOnlyList<PortalEvent> events, DateTimeOffset now, int maxRunsPerHour, CancellationToken ct)
    {
        var projectIds = events.Where(e => AutomationTriggers.All.Contains(e.Type)).Select(e => e.ProjectId).Distinct().ToList();
        if (projectIds.Count == 0)
            return [];
        var rules = await EnabledRulesQuery(db, projectIds).ToListAsync(ct);
        if (rules.Count == 0)
            return [];

        var eventIds = events.Select(e => e.Id).ToList();
        var ruleIds = rules.Select(r => r.Id).ToList();
        var existing = (await db.AutomationRuns.AsNoTracking().Where(r => eventIds.Contains(r.EventId) && ruleIds.Contains(r.RuleId))
                .Select(r => new { r.EventId, r.RuleId }).ToListAsync(ct))
            .Select(r => (r.EventId, r.RuleId)).ToHashSet();
        var recent = await RecentRunsQuery(db, ruleIds, now - GuardWindow).ToDictionaryAsync(r => r.RuleId, r => r.Count, ct);

        var pending = new List<AutomationRun>();
        foreach (var e in events.OrderBy(e => e.Id))
        {
            var facts = AutomationEventFacts.From(e);
            foreach (var rule in rules.Where(r => r.ProjectId == e.ProjectId && r.Matches(e, facts) && !existing.Contains((e.Id, r.Id))))
            {
                var run = new AutomationRun
                {
                    RuleId = rule.Id,
                    EventId = e.Id,
                    EventType = e.Type,
                    SubjectVersionId = facts.SubjectVersionId,
                    CreatedAt = now,
                };
                var count = recent.GetValueOrDefault(rule.Id);
                if (count >= maxRunsPerHour)
                {
                    run.Outcome = AutomationOutcome.Skipped;
                    run.FinishedAt = now;
                    run.Message = $"Not run: the rule already ran {count} times in the last hour (at most Automations:MaxRunsPerHour = {maxRunsPerHour}); this guards against loops and floods.";
                }
                else
                {
                    run.Outcome = AutomationOutcome.Pending;
                    run.Message = "Waiting for a worker.";
                    recent[rule.Id] = count + 1;
                    pending.Add(run);
                }

                db.AutomationRuns.Add(run);
            }
        }

        return pending;
    }

    /// <summary>The enabled rules of these projects; public for the SQL Server translation check.</summary>
    public static IQueryable<AutomationRule> EnabledRulesQuery(PortalDbContext db, List<Guid> projectIds) =>
        db.AutomationRules.AsNoTracking().Where(r => r.Enabled && projectIds.Contains(r.ProjectId));

    /// <summary>Runs per rule since <paramref name="since"/> that counted against the loop guard; public for the SQL Server translation check.</summary>
    public static IQueryable<RuleRunCount> RecentRunsQuery(PortalDbContext db, List<Guid> ruleIds, DateTimeOffset since) =>
        db.AutomationRuns.AsNoTracking()
            .Where(r => ruleIds.Contains(r.RuleId) && r.CreatedAt >= since && r.Outcome != AutomationOutcome.Skipped)
            .GroupBy(r => r.RuleId)
            .Select(g => new RuleRunCount(g.Key, g.Count()));

    /// <summary>
    /// Pending runs whose job should have started by now (lost with in-memory job storage), and runs left running by a
    /// worker that died; public for the translation check.
    /// </summary>
    public static IQueryable<long> OverdueQuery(PortalDbContext db, DateTimeOffset cutoff)
    {
        var stale = cutoff - StaleAfter;
        return db.AutomationRuns.AsNoTracking()
            .Where(r => (r.Outcome == AutomationOutcome.Pending && r.CreatedAt <= cutoff) || (r.Outcome == AutomationOutcome.Running && r.StartedAt < stale))
            .OrderBy(r => r.CreatedAt).Select(r => r.Id).Take(500);
    }
}

public sealed record RuleRunCount(Guid RuleId, int Count);

/// <summary>Queues automation runs; the database stays the truth, so a lost job is found again by the dispatcher.</summary>
public interface IAutomationJobs
{
    void Enqueue(long runId);
}

internal sealed class HangfireAutomationJobs(IBackgroundJobClient jobs) : IAutomationJobs
{
    public void Enqueue(long runId) =>
        jobs.Enqueue<AutomationRunJob>(j => j.ExecuteAsync(runId, CancellationToken.None));
}
