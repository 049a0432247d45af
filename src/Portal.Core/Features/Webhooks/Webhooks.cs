using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Auditing;
using Portal.Core.Features.Events;
using Portal.Core.Net;

namespace Portal.Core.Features.Webhooks;

/// <summary>A project's webhooks and their delivery log. Project admins only: URLs and delivery answers are not for every member.</summary>
public sealed class Webhooks(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access, TimeProvider clock, WebhookDeliveryJob deliveryJob, IOptions<WebhookOptions> options)
{
    /// <summary>The event type of "send test" deliveries; never raised by a change, so never dispatched to other webhooks.</summary>
    public const string TestEventType = "webhook.test";

    public const int MaxWebhooksPerProject = 50;
    public const int DefaultDeliveryPage = 50;
    public const int MaxDeliveryPage = 200;

    public async Task<IReadOnlyList<WebhookResponse>> ListAsync(ClaimsPrincipal user, string slug, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Admin, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var webhooks = await db.Webhooks.AsNoTracking().Where(w => w.ProjectId == grant.Project.Id).OrderBy(w => w.CreatedAt).ToListAsync(ct);
        var stats = await StatsAsync(db, webhooks.Select(w => w.Id).ToList(), ct);
        return webhooks.Select(w => ToResponse(w, stats.GetValueOrDefault(w.Id))).ToList();
    }

    public async Task<WebhookResponse> GetAsync(ClaimsPrincipal user, string slug, Guid id, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Admin, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var webhook = await FindAsync(db, grant, id, ct);
        var stats = await StatsAsync(db, [webhook.Id], ct);
        return ToResponse(webhook, stats.GetValueOrDefault(webhook.Id));
    }

    public async Task<CreatedWebhookResponse> CreateAsync(ClaimsPrincipal user, string slug, CreateWebhookRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var grant = await access.RequireAsync(user, slug, ProjectRole.Admin, ct);
        var url = ValidateUrl(request.Url, options.Value.AllowPrivateAddresses);
        var types = ValidateEventTypes(request.EventTypes);
        var description = ValidateDescription(request.Description);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Webhooks.CountAsync(w => w.ProjectId == grant.Project.Id, ct) >= MaxWebhooksPerProject)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, $"A project has at most {MaxWebhooksPerProject} webhooks; delete one first.");
        var now = clock.GetUtcNow();
        var webhook = new Webhook
        {
            Id = Guid.NewGuid(),
            ProjectId = grant.Project.Id,
            Url = url,
            Description = description,
            EventTypes = string.Join(',', types),
            Enabled = request.Enabled,
            Secret = NewSecret(),
            CreatedAt = now,
            CreatedById = grant.UserId,
        };
        db.Webhooks.Add(webhook);
        db.Record(now, grant.UserId, grant.Project.Id, "webhook.created", "webhook", webhook.Id.ToString(), after: AuditView(webhook));
        await db.SaveChangesAsync(ct);
        return new CreatedWebhookResponse(ToResponse(webhook, null), webhook.Secret);
    }

    public async Task<WebhookResponse> UpdateAsync(ClaimsPrincipal user, string slug, Guid id, UpdateWebhookRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var grant = await access.RequireAsync(user, slug, ProjectRole.Admin, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var webhook = await FindAsync(db, grant, id, ct, tracked: true);
        var before = AuditView(webhook);
        if (request.Url is not null)
            webhook.Url = ValidateUrl(request.Url, options.Value.AllowPrivateAddresses);
        if (request.EventTypes is not null)
            webhook.EventTypes = string.Join(',', ValidateEventTypes(request.EventTypes));
        if (request.Description is not null)
            webhook.Description = ValidateDescription(request.Description);
        if (request.Enabled is { } enabled)
            webhook.Enabled = enabled;
        db.Record(clock.GetUtcNow(), grant.UserId, grant.Project.Id, "webhook.updated", "webhook", webhook.Id.ToString(), before, AuditView(webhook));
        await db.SaveChangesAsync(ct);
        var stats = await StatsAsync(db, [webhook.Id], ct);
        return ToResponse(webhook, stats.GetValueOrDefault(webhook.Id));
    }

    /// <summary>Replaces the secret; the new one is in this answer only. Deliveries still waiting are signed with the new one.</summary>
    public async Task<CreatedWebhookResponse> RotateSecretAsync(ClaimsPrincipal user, string slug, Guid id, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Admin, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var webhook = await FindAsync(db, grant, id, ct, tracked: true);
        webhook.Secret = NewSecret();
        db.Record(clock.GetUtcNow(), grant.UserId, grant.Project.Id, "webhook.secret_rotated", "webhook", webhook.Id.ToString(), after: new { secretHint = Hint(webhook.Secret) });
        await db.SaveChangesAsync(ct);
        var stats = await StatsAsync(db, [webhook.Id], ct);
        return new CreatedWebhookResponse(ToResponse(webhook, stats.GetValueOrDefault(webhook.Id)), webhook.Secret);
    }

    /// <summary>Deletes the webhook with its delivery log.</summary>
    public async Task DeleteAsync(ClaimsPrincipal user, string slug, Guid id, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Admin, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var webhook = await FindAsync(db, grant, id, ct, tracked: true);
        db.Webhooks.Remove(webhook);
        db.Record(clock.GetUtcNow(), grant.UserId, grant.Project.Id, "webhook.deleted", "webhook", webhook.Id.ToString(), before: AuditView(webhook));
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The webhook's deliveries, newest first, with every attempt; <paramref name="before"/> pages by delivery id.</summary>
    public async Task<PagedResponse<WebhookDeliveryResponse>> ListDeliveriesAsync(
        ClaimsPrincipal user, string slug, Guid id, int? limit = null, long? before = null, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Admin, ct);
        var pageSize = limit ?? DefaultDeliveryPage;
        if (pageSize is < 1 or > MaxDeliveryPage)
            throw PortalException.BadRequest(ErrorCodes.LimitInvalid, $"limit must be between 1 and {MaxDeliveryPage}.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var webhook = await FindAsync(db, grant, id, ct);
        var query = db.WebhookDeliveries.AsNoTracking().Where(d => d.WebhookId == webhook.Id);
        var total = await query.CountAsync(ct);
        if (before is { } b)
            query = query.Where(d => d.Id < b);
        var page = await query.OrderByDescending(d => d.Id).Take(pageSize + 1).ToListAsync(ct);
        var more = page.Count > pageSize;
        if (more)
            page.RemoveAt(page.Count - 1);
        var items = await ToResponsesAsync(db, page, ct);
        var token = more ? page[^1].Id.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        return new PagedResponse<WebhookDeliveryResponse>(items, total, token);
    }

    /// <summary>
    /// Sends a <c>webhook.test</c> event to this webhook now and answers with the first attempt's result; if it failed,
    /// it is retried like any delivery.
    /// </summary>
    public async Task<WebhookDeliveryResponse> SendTestAsync(ClaimsPrincipal user, string slug, Guid id, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Admin, ct);
        long deliveryId;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var webhook = await FindAsync(db, grant, id, ct);
            if (!webhook.Enabled)
                throw PortalException.Conflict(ErrorCodes.ValidationFailed, "The webhook is disabled; enable it to send a test.");
            var now = clock.GetUtcNow();
            var e = db.Raise(grant.Project.Id, TestEventType, new
            {
                message = "A test delivery sent from the portal.",
                webhookId = webhook.Id,
                sentBy = new { id = grant.UserId, email = await db.Users.Where(u => u.Id == grant.UserId).Select(u => u.Email).SingleOrDefaultAsync(ct) },
            }, now);
            e.DispatchedAt = now;
            var delivery = new WebhookDelivery { WebhookId = webhook.Id, State = WebhookDeliveryState.Pending, CreatedAt = now, NextAttemptAt = now };
            db.Record(now, grant.UserId, grant.Project.Id, "webhook.test_sent", "webhook", webhook.Id.ToString(), after: new { webhook.Url });
            await db.SaveChangesAsync(ct);
            delivery.EventId = e.Id;
            db.WebhookDeliveries.Add(delivery);
            await db.SaveChangesAsync(ct);
            deliveryId = delivery.Id;
        }

        await deliveryJob.ExecuteAsync(deliveryId, ct);
        await using var read = await dbFactory.CreateDbContextAsync(ct);
        var stored = await read.WebhookDeliveries.AsNoTracking().SingleAsync(d => d.Id == deliveryId, ct);
        return (await ToResponsesAsync(read, [stored], ct))[0];
    }

    internal static string ValidateUrl(string? url, bool allowPrivate)
    {
        url = url?.Trim() ?? "";
        if (url.Length is 0 or > 2000
            || !Uri.TryCreate(url, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host))
        {
            throw PortalException.BadRequest(ErrorCodes.WebhookUrlInvalid,
                $"'{(url.Length > 200 ? url[..200] + "…" : url)}' is not a webhook URL; give an absolute http:// or https:// address of at most 2000 characters.");
        }

        // Names that resolve to internal addresses are refused again at every connection; this only answers the obvious case early.
        if (!allowPrivate && PublicAddresses.IsPlainlyPrivate(uri.Host))
        {
            throw PortalException.BadRequest(ErrorCodes.WebhookUrlNotAllowed,
                $"'{uri.Host}' is a loopback, private or otherwise non-public address; webhooks may only call public addresses (an operator can allow others with Webhooks:AllowPrivateAddresses).");
        }

        return uri.AbsoluteUri;
    }

    internal static IReadOnlyList<string> ValidateEventTypes(IReadOnlyList<string>? types)
    {
        var result = new List<string>();
        foreach (var raw in types ?? [])
        {
            var type = raw?.Trim() ?? "";
            if (!PortalEventTypes.All.Contains(type, StringComparer.Ordinal))
            {
                throw PortalException.BadRequest(ErrorCodes.WebhookEventTypeInvalid,
                    $"'{type}' is not an event type; use {string.Join(", ", PortalEventTypes.All)} (or none for all).");
            }

            if (!result.Contains(type, StringComparer.Ordinal))
                result.Add(type);
        }

        return result;
    }

    private static string ValidateDescription(string? description)
    {
        description = description?.Trim() ?? "";
        return description.Length <= 500
            ? description
            : throw PortalException.BadRequest(ErrorCodes.ValidationFailed, "A webhook description has at most 500 characters.");
    }

    private static string NewSecret() => "whsec_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    private static string Hint(string secret) => secret.Length <= 4 ? "" : "…" + secret[^4..];

    private static object AuditView(Webhook w) => new { w.Url, w.Description, eventTypes = w.EventTypes, w.Enabled, secretHint = Hint(w.Secret) };

    private static async Task<Webhook> FindAsync(PortalDbContext db, ProjectAccessGrant grant, Guid id, CancellationToken ct, bool tracked = false)
    {
        var query = db.Webhooks.Where(w => w.Id == id && w.ProjectId == grant.Project.Id);
        if (!tracked)
            query = query.AsNoTracking();
        return await query.SingleOrDefaultAsync(ct)
            ?? throw PortalException.NotFound(ErrorCodes.WebhookNotFound, $"Project '{grant.Project.Slug}' has no webhook {id}.");
    }

    private static async Task<Dictionary<Guid, WebhookDeliveryStats>> StatsAsync(PortalDbContext db, List<Guid> webhookIds, CancellationToken ct)
    {
        var counts = await db.WebhookDeliveries.AsNoTracking()
            .Where(d => webhookIds.Contains(d.WebhookId))
            .GroupBy(d => new { d.WebhookId, d.State })
            .Select(g => new { g.Key.WebhookId, g.Key.State, Count = g.Count() })
            .ToListAsync(ct);
        var result = new Dictionary<Guid, WebhookDeliveryStats>();
        foreach (var webhookId in webhookIds)
        {
            var last = await db.WebhookDeliveries.AsNoTracking()
                .Where(d => d.WebhookId == webhookId && d.LastAttemptAt != null)
                .OrderByDescending(d => d.Id)
                .Select(d => new { d.LastAttemptAt, d.LastStatusCode })
                .FirstOrDefaultAsync(ct);
            int Count(WebhookDeliveryState state) => counts.Where(c => c.WebhookId == webhookId && c.State == state).Sum(c => c.Count);
            result[webhookId] = new WebhookDeliveryStats(
                Count(WebhookDeliveryState.Pending), Count(WebhookDeliveryState.Succeeded), Count(WebhookDeliveryState.Failed), last?.LastAttemptAt, last?.LastStatusCode);
        }

        return result;
    }

    private static WebhookResponse ToResponse(Webhook w, WebhookDeliveryStats? stats) => new(
        w.Id,
        w.Url,
        w.Description,
        w.EventTypes.Length == 0 ? [] : w.EventTypes.Split(','),
        w.Enabled,
        Hint(w.Secret),
        w.CreatedAt,
        stats ?? new WebhookDeliveryStats(0, 0, 0, null, null));

    private static async Task<IReadOnlyList<WebhookDeliveryResponse>> ToResponsesAsync(PortalDbContext db, List<WebhookDelivery> deliveries, CancellationToken ct)
    {
        var ids = deliveries.Select(d => d.Id).ToList();
        var eventIds = deliveries.Select(d => d.EventId).Distinct().ToList();
        var attempts = (await db.WebhookDeliveryAttempts.AsNoTracking().Where(a => ids.Contains(a.DeliveryId)).ToListAsync(ct))
            .ToLookup(a => a.DeliveryId);
        var types = await db.PortalEvents.AsNoTracking().Where(e => eventIds.Contains(e.Id)).ToDictionaryAsync(e => e.Id, e => e.Type, ct);
        return deliveries.Select(d => new WebhookDeliveryResponse(
                d.Id,
                d.EventId,
                types.GetValueOrDefault(d.EventId, ""),
                d.State.ToString().ToLowerInvariant(),
                d.Attempts,
                d.CreatedAt,
                d.State == WebhookDeliveryState.Pending ? d.NextAttemptAt : null,
                d.LastAttemptAt,
                d.LastStatusCode,
                d.LastError,
                d.CompletedAt,
                attempts[d.Id].OrderBy(a => a.Number)
                    .Select(a => new WebhookAttemptResponse(a.Number, a.At, a.StatusCode, a.DurationMs, a.Error, a.ResponseExcerpt)).ToList()))
            .ToList();
    }
}
