using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Auditing;

namespace Portal.Core.Features.Reports;

/// <summary>
/// A member's own digest subscription of a project: read, set, remove, preview and "send now". Every member (Viewer
/// and up) may subscribe; a user only ever reaches their own subscription.
/// </summary>
public sealed class DigestSubscriptions(
    IDbContextFactory<PortalDbContext> dbFactory,
    ProjectAccess access,
    DigestContent content,
    DigestDispatch dispatch,
    IOptionsMonitor<PublicUrlOptions> publicUrl,
    TimeProvider clock)
{
    private const int RecentDeliveries = 10;

    /// <summary>The caller's subscription, or null when they have none.</summary>
    public async Task<DigestSubscriptionResponse?> FindAsync(ClaimsPrincipal user, string slug, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var subscription = await db.DigestSubscriptions.AsNoTracking().SingleOrDefaultAsync(s => s.ProjectId == grant.Project.Id && s.UserId == grant.UserId, ct);
        return subscription is null ? null : await ToResponseAsync(db, subscription, slug, ct);
    }

    public async Task<DigestSubscriptionResponse> GetAsync(ClaimsPrincipal user, string slug, CancellationToken ct = default) =>
        await FindAsync(user, slug, ct) ?? throw NotSubscribed(slug);

    /// <summary>Subscribes the caller, or changes their schedule.</summary>
    public async Task<DigestSubscriptionResponse> PutAsync(ClaimsPrincipal user, string slug, DigestSubscriptionRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        var (frequency, hour, weekDay) = Parse(request);
        var now = clock.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var subscription = await db.DigestSubscriptions.SingleOrDefaultAsync(s => s.ProjectId == grant.Project.Id && s.UserId == grant.UserId, ct);
        var before = subscription is null ? null : Describe(subscription);
        if (subscription is null)
        {
            subscription = new DigestSubscription { Id = Guid.NewGuid(), ProjectId = grant.Project.Id, UserId = grant.UserId, CreatedAt = now };
            db.DigestSubscriptions.Add(subscription);
        }

        subscription.Frequency = frequency;
        subscription.HourUtc = hour;
        subscription.WeekDay = weekDay;
        subscription.UpdatedAt = now;
        db.Record(now, grant.UserId, grant.Project.Id, before is null ? "digest_subscription.created" : "digest_subscription.updated",
            "digest_subscription", subscription.Id.ToString(), before, Describe(subscription));
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException) when (before is null)
        {
            // Two first subscriptions at once: the unique (project, user) key kept one; apply this schedule to it.
            return await PutAsync(user, slug, request, ct);
        }

        return await ToResponseAsync(db, subscription, slug, ct);
    }

    /// <summary>Stops the caller's digest.</summary>
    public async Task DeleteAsync(ClaimsPrincipal user, string slug, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var subscription = await db.DigestSubscriptions.SingleOrDefaultAsync(s => s.ProjectId == grant.Project.Id && s.UserId == grant.UserId, ct)
            ?? throw NotSubscribed(slug);
        db.DigestSubscriptions.Remove(subscription);
        db.Record(clock.GetUtcNow(), grant.UserId, grant.Project.Id, "digest_subscription.deleted", "digest_subscription", subscription.Id.ToString(), Describe(subscription));
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// What the caller's next digest would hold if it were sent now: from the end of their last digest (or one period
    /// back; a day when they have no subscription yet) until now.
    /// </summary>
    public async Task<DigestPreviewResponse> PreviewAsync(ClaimsPrincipal user, string slug, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        var now = clock.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var subscription = await db.DigestSubscriptions.AsNoTracking().SingleOrDefaultAsync(s => s.ProjectId == grant.Project.Id && s.UserId == grant.UserId, ct)
            ?? new DigestSubscription { Frequency = DigestFrequency.Daily, CreatedAt = now };
        var report = await content.ComposeAsync(grant.Project.Id, grant.UserId, subscription.Frequency, DigestSchedule.PeriodStart(subscription, now), now, ct);
        return DigestRenderer.Render(report, publicUrl.CurrentValue.PublicUrl);
    }

    /// <summary>Sends the caller's next digest now (it then covers up to now); an empty period sends nothing.</summary>
    public async Task<DigestSendResponse> SendNowAsync(ClaimsPrincipal user, string slug, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        Guid id;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            id = await db.DigestSubscriptions.Where(s => s.ProjectId == grant.Project.Id && s.UserId == grant.UserId).Select(s => (Guid?)s.Id).SingleOrDefaultAsync(ct)
                ?? throw NotSubscribed(slug);
        }

        var preview = await PreviewAsync(user, slug, ct);
        if (preview.Empty)
        {
            return new DigestSendResponse(false, $"Nothing happened in {slug} since {Format(preview.PeriodStart)}; no e-mail was sent.", null,
                preview.PeriodStart, preview.PeriodEnd, preview.Counts);
        }

        var result = await dispatch.SendAsync(id, clock.GetUtcNow(), manual: true, ct);
        var rendered = result.Rendered ?? preview;
        return result.Outcome switch
        {
            DigestOutcome.Sent => new DigestSendResponse(true, $"Sent to {result.To}: {rendered.Subject}", result.To, rendered.PeriodStart, rendered.PeriodEnd, rendered.Counts),
            DigestOutcome.Empty => new DigestSendResponse(false, $"Nothing to send for {slug}; no e-mail was sent.", null, rendered.PeriodStart, rendered.PeriodEnd, rendered.Counts),
            DigestOutcome.Failed => throw new PortalException(502, ErrorCodes.DigestSendFailed, "The digest could not be sent; the mail server refused it or did not answer. It is kept for the next digest."),
            _ => throw PortalException.Conflict(ErrorCodes.DigestInProgress, "Another digest of this subscription is being sent right now; try again in a moment."),
        };
    }

    private static string Format(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);

    internal static (DigestFrequency Frequency, int Hour, DayOfWeek WeekDay) Parse(DigestSubscriptionRequest request)
    {
        var frequency = request.Frequency?.Trim().ToLowerInvariant() switch
        {
            "daily" => DigestFrequency.Daily,
            "weekly" => DigestFrequency.Weekly,
            _ => throw PortalException.BadRequest(ErrorCodes.DigestScheduleInvalid, $"'{request.Frequency}' is not a digest frequency; use daily or weekly."),
        };
        if (request.HourUtc is < 0 or > 23)
            throw PortalException.BadRequest(ErrorCodes.DigestScheduleInvalid, $"hourUtc must be an hour of the day from 0 to 23 (UTC); got {request.HourUtc}.");
        var weekDay = DayOfWeek.Monday;
        if (!string.IsNullOrWhiteSpace(request.WeekDay)
            && (!Enum.TryParse(request.WeekDay.Trim(), ignoreCase: true, out weekDay) || int.TryParse(request.WeekDay, out _)))
            throw PortalException.BadRequest(ErrorCodes.DigestScheduleInvalid, $"'{request.WeekDay}' is not a day of the week; use monday … sunday.");
        return (frequency, request.HourUtc, weekDay);
    }

    private static object Describe(DigestSubscription s) => new
    {
        frequency = s.Frequency.ToString().ToLowerInvariant(),
        hourUtc = s.HourUtc,
        weekDay = s.WeekDay.ToString().ToLowerInvariant(),
    };

    private async Task<DigestSubscriptionResponse> ToResponseAsync(PortalDbContext db, DigestSubscription s, string slug, CancellationToken ct)
    {
        var deliveries = await db.DigestDeliveries.AsNoTracking().Where(d => d.SubscriptionId == s.Id)
            .OrderByDescending(d => d.PeriodEnd).Take(RecentDeliveries).ToListAsync(ct);
        return new DigestSubscriptionResponse(
            s.Id, slug, s.Frequency.ToString().ToLowerInvariant(), s.HourUtc, s.WeekDay.ToString().ToLowerInvariant(), s.CreatedAt, s.LastPeriodEnd,
            DigestSchedule.NextSlot(s, clock.GetUtcNow()),
            deliveries.Select(d => new DigestDeliveryResponse(d.Id, d.PeriodStart, d.PeriodEnd, d.Manual, d.Outcome.ToString().ToLowerInvariant(), d.ItemCount, d.Error, d.CreatedAt)).ToList());
    }

    private static PortalException NotSubscribed(string slug) =>
        PortalException.NotFound(ErrorCodes.DigestSubscriptionNotFound, $"You have no e-mail digest of project '{slug}'; subscribe with PUT first.");
}
