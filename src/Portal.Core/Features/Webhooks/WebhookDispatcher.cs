using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Core.Data;
using Portal.Core.Features.Automations;

namespace Portal.Core.Features.Webhooks;

/// <summary>
/// The recurring job that fans outbox events out to webhooks: each undispatched event gets one delivery per enabled
/// webhook of its project that wants its type, and one run per matching automation rule, and is then marked dispatched. It also queues again deliveries whose
/// attempt is overdue (a job lost with in-memory job storage, or a worker that died mid-attempt).
/// </summary>
/// <remarks>
/// Idempotent: the unique (event, webhook) key allows one delivery per pair, so a dispatcher running twice at once
/// loses its save and starts over on fresh state instead of sending an event twice.
/// </remarks>
public sealed class WebhookDispatcher(
    IDbContextFactory<PortalDbContext> dbFactory,
    TimeProvider clock,
    IWebhookJobs jobs,
    IAutomationJobs automationJobs,
    IOptionsMonitor<AutomationOptions> automationOptions,
    ILogger<WebhookDispatcher> logger)
{
    public const string RecurringJobId = "webhooks-dispatch";
    private const int BatchSize = 200;
    private static readonly TimeSpan OverdueAfter = TimeSpan.FromMinutes(1);

    /// <summary>Dispatches every waiting event; returns how many deliveries it created.</summary>
    [DisableConcurrentExecution(60)]
    public async Task<int> ExecuteAsync(CancellationToken ct)
    {
        var overdue = await RequeueOverdueAsync(ct);
        var created = 0;
        for (var conflicts = 0; ;)
        {
            try
            {
                var batch = await DispatchBatchAsync(ct);
                if (batch is null)
                    break;
                created += batch.Value.Deliveries.Count;
                foreach (var id in batch.Value.Deliveries)
                    jobs.Enqueue(id);
                foreach (var id in batch.Value.Runs)
                    automationJobs.Enqueue(id);
            }
            catch (DbUpdateException ex) when (++conflicts < 5)
            {
                // Another dispatcher stored deliveries for the same events first; start over from what it left.
                logger.LogDebug(ex, "Webhook dispatch lost a race; retrying");
            }
        }

        if (created > 0 || overdue > 0)
            logger.LogInformation("Webhook dispatch: {Created} new deliveries, {Overdue} overdue queued again", created, overdue);
        return created;
    }

    /// <summary>One batch of events; null when none was waiting.</summary>
    private async Task<(List<long> Deliveries, List<long> Runs)?> DispatchBatchAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var events = await db.PortalEvents.Where(e => e.DispatchedAt == null).OrderBy(e => e.Id).Take(BatchSize).ToListAsync(ct);
        if (events.Count == 0)
            return null;

        var projectIds = events.Select(e => e.ProjectId).Distinct().ToList();
        var webhooks = await db.Webhooks.AsNoTracking().Where(w => w.Enabled && projectIds.Contains(w.ProjectId)).ToListAsync(ct);
        var eventIds = events.Select(e => e.Id).ToList();
        var existing = (await db.WebhookDeliveries.AsNoTracking().Where(d => eventIds.Contains(d.EventId))
                .Select(d => new { d.EventId, d.WebhookId }).ToListAsync(ct))
            .Select(d => (d.EventId, d.WebhookId)).ToHashSet();

        var now = clock.GetUtcNow();
        var deliveries = new List<WebhookDelivery>();
        foreach (var e in events)
        {
            foreach (var webhook in webhooks.Where(w => w.ProjectId == e.ProjectId && w.Wants(e.Type) && !existing.Contains((e.Id, w.Id))))
            {
                deliveries.Add(new WebhookDelivery
                {
                    WebhookId = webhook.Id,
                    EventId = e.Id,
                    State = WebhookDeliveryState.Pending,
                    CreatedAt = now,
                    NextAttemptAt = now,
                });
            }

            e.DispatchedAt = now;
        }

        db.WebhookDeliveries.AddRange(deliveries);
        var runs = await AutomationDispatch.AddRunsAsync(db, events, now, automationOptions.CurrentValue.MaxRunsPerHour, ct);
        await db.SaveChangesAsync(ct);
        return (deliveries.Select(d => d.Id).ToList(), runs.Select(r => r.Id).ToList());
    }

    private async Task<int> RequeueOverdueAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        var cutoff = now - OverdueAfter;
        var ids = await db.WebhookDeliveries.AsNoTracking()
            .Where(d => d.State == WebhookDeliveryState.Pending && d.NextAttemptAt <= cutoff && (d.LeaseUntil == null || d.LeaseUntil < now))
            .OrderBy(d => d.NextAttemptAt).Select(d => d.Id).Take(500).ToListAsync(ct);
        foreach (var id in ids)
            jobs.Enqueue(id);
        var runs = await AutomationDispatch.OverdueQuery(db, cutoff).ToListAsync(ct);
        foreach (var id in runs)
            automationJobs.Enqueue(id);
        return ids.Count + runs.Count;
    }
}
