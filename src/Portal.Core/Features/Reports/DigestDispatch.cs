using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Notifications;

namespace Portal.Core.Features.Reports;

/// <summary>
/// Sends one digest of one subscription for one period, at most once: it first claims the (subscription, period end)
/// row, whose unique key a second run for the same period cannot insert, then composes and sends, then records the
/// outcome. An empty period is recorded and sends nothing. A failed send is recorded and the period is handed back,
/// so the next digest covers it.
/// </summary>
public sealed class DigestDispatch(
    IDbContextFactory<PortalDbContext> dbFactory,
    DigestContent content,
    IEmailSender email,
    IOptionsMonitor<PublicUrlOptions> publicUrl,
    TimeProvider clock,
    ILogger<DigestDispatch> logger)
{
    public sealed record Result(DigestOutcome? Outcome, DigestPreviewResponse? Rendered, string? To);

    /// <summary>Sends the digest ending at <paramref name="periodEnd"/>; a null outcome means another run had claimed it.</summary>
    public async Task<Result> SendAsync(Guid subscriptionId, DateTimeOffset periodEnd, bool manual, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var subscription = await db.DigestSubscriptions.SingleOrDefaultAsync(s => s.Id == subscriptionId, ct);
        if (subscription is null)
            return new Result(null, null, null);
        var previousEnd = subscription.LastPeriodEnd;
        var start = DigestSchedule.PeriodStart(subscription, periodEnd);
        var delivery = new DigestDelivery
        {
            SubscriptionId = subscription.Id,
            PeriodStart = start,
            PeriodEnd = periodEnd,
            Manual = manual,
            Outcome = DigestOutcome.Sending,
            CreatedAt = clock.GetUtcNow(),
        };
        db.DigestDeliveries.Add(delivery);
        subscription.LastPeriodEnd = periodEnd;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex)
        {
            // The unique (subscription, period end) key: another run claimed this digest first.
            logger.LogDebug(ex, "Digest {SubscriptionId} ending {PeriodEnd} was claimed by another run", subscriptionId, periodEnd);
            return new Result(null, null, null);
        }

        string? to = null;
        DigestPreviewResponse? rendered = null;
        try
        {
            to = await db.Users.AsNoTracking().Where(u => u.Id == subscription.UserId).Select(u => u.Email).SingleOrDefaultAsync(ct);
            var report = await content.ComposeAsync(subscription.ProjectId, subscription.UserId, subscription.Frequency, start, periodEnd, ct);
            rendered = DigestRenderer.Render(report, publicUrl.CurrentValue.PublicUrl);
            delivery.ItemCount = report.Counts.Total;
            if (report.IsEmpty || string.IsNullOrWhiteSpace(to))
            {
                delivery.Outcome = DigestOutcome.Empty;
            }
            else
            {
                await email.SendAsync(DigestRenderer.ToMessage(rendered, to), ct);
                delivery.Outcome = DigestOutcome.Sent;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Could not send digest {SubscriptionId} for the period ending {PeriodEnd}", subscriptionId, periodEnd);
            delivery.Outcome = DigestOutcome.Failed;
            delivery.Error = ex.Message.Length > 2000 ? ex.Message[..2000] : ex.Message;
            subscription.LastPeriodEnd = previousEnd;
        }

        delivery.FinishedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(CancellationToken.None);
        return new Result(delivery.Outcome, rendered, to);
    }
}
