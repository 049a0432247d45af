using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Data;

namespace Portal.Core.Features.Reports;

/// <summary>
/// The recurring job that sends every due digest: a subscription is due when its latest slot (its hour, and weekday
/// for weekly ones) is past and no digest covers it yet. Only subscribers who are still members of the project (or
/// site admins) get one. Safe to run twice: each (subscription, period) is claimed once, see <see cref="DigestDispatch"/>.
/// </summary>
public sealed class DigestJob(IDbContextFactory<PortalDbContext> dbFactory, DigestDispatch dispatch, TimeProvider clock, ILogger<DigestJob> logger)
{
    public const string RecurringJobId = "digests-send";

    /// <summary>Sends the due digests; returns how many mails went out.</summary>
    [DisableConcurrentExecution(600)]
    public async Task<int> ExecuteAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
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
}
