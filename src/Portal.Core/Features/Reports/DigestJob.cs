using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Core.Data;

namespace Portal.Core.Features.Reports;

/// <summary>
/// The recurring job that sends every due digest: a subscription is due when its latest slot (its hour, and weekday
/// for weekly ones) is past and no digest covers it yet. Only subscribers who are still members of the project (or
/// site admins) get one. Safe to run twice: each (subscription, period) is claimed once, see <see cref="DigestDispatch"/>.
/// </summary>
public sealed class DigestJob(
    IDbContextFactory<PortalDbContext> dbFactory, DigestDispatch dispatch, IOptions<DigestOptions> options, TimeProvider clock, ILogger<DigestJob> logger)
{
    public const string RecurringJobId = "digests-send";

    /// <summary>Sends the due digests; returns how many mails went out.</summary>
    [DisableConcurrentExecution(600)]
    public async Task<int> ExecuteAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await ReleaseAbandonedClaimsAsync(now, ct);
        List<DigestSubscription> candidates;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            candidates = await (
                    from s in db.DigestSubscriptions.AsNoTracking()
                    join u in db.Users on s.UserId equals u.Id
                    where u.IsSiteAdmin || db.Memberships.Any(m => m.ProjectId == s.ProjectId && m.UserId == s.UserId)
                    select s)
                .ToListAsync(ct);
        }

        var sent = 0;
        var empty = 0;
        foreach (var subscription in candidates.Where(s => DigestSchedule.IsDue(s, now)))
        {
            var result = await dispatch.SendAsync(subscription.Id, DigestSchedule.LatestSlot(subscription, now), manual: false, ct);
            if (result.Outcome == DigestOutcome.Sent)
                sent++;
            else if (result.Outcome == DigestOutcome.Empty)
                empty++;
        }

        if (sent > 0 || empty > 0)
            logger.LogInformation("Digests: {Sent} sent, {Empty} empty periods skipped", sent, empty);
        return sent;
    }

    /// <summary>
    /// Claims older than <see cref="DigestOptions.ClaimTimeout"/> belong to a run that died between claiming and
    /// recording: they become failed, and their subscription's period is handed back (unless a later digest already
    /// moved past it), so the next digest covers what this one would have. Whether the mail left before the process
    /// died cannot be known; covering the period again is preferred to losing it.
    /// </summary>
    private async Task ReleaseAbandonedClaimsAsync(DateTimeOffset now, CancellationToken ct)
    {
        var timeout = options.Value.ClaimTimeout;
        var cutoff = now - timeout;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var abandoned = await db.DigestDeliveries.AsNoTracking()
            .Where(d => d.Outcome == DigestOutcome.Sending && d.CreatedAt < cutoff)
            .OrderByDescending(d => d.PeriodEnd)
            .ToListAsync(ct);
        foreach (var delivery in abandoned)
        {
            var error = $"Abandoned: the run that claimed this digest at {delivery.CreatedAt:u} did not finish within {timeout}; the next digest covers its period.";
            // Conditional updates: a slow (not dead) run that records its outcome meanwhile keeps it.
            var released = await db.DigestDeliveries
                .Where(d => d.Id == delivery.Id && d.Outcome == DigestOutcome.Sending)
                .ExecuteUpdateAsync(u => u.SetProperty(d => d.Outcome, DigestOutcome.Failed).SetProperty(d => d.FinishedAt, now).SetProperty(d => d.Error, error), ct);
            if (released == 0)
                continue;
            await db.DigestSubscriptions
                .Where(x => x.Id == delivery.SubscriptionId && x.LastPeriodEnd == delivery.PeriodEnd)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.LastPeriodEnd, delivery.PeriodStart), ct);
            logger.LogWarning("Digest {SubscriptionId} for the period ending {PeriodEnd} was abandoned by its run; released", delivery.SubscriptionId, delivery.PeriodEnd);
        }
    }
}
