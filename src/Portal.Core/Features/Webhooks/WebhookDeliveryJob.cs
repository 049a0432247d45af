using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Client;
using Portal.Core.Data;
using Portal.Core.Features.Events;

using Portal.Core.Net;

namespace Portal.Core.Features.Webhooks;

/// <summary>
/// One attempt of one delivery: POSTs the signed event to the webhook's URL and records the answer; on failure schedules
/// the next attempt with exponential back-off until <see cref="WebhookOptions.MaxAttempts"/>.
/// </summary>
/// <remarks>
/// Idempotent: an attempt first claims the delivery (pending, due, not held by another attempt) with one conditional
/// UPDATE, so a job that Hangfire runs twice, or that the dispatcher queued again, sends at most one request at a time
/// and never after the delivery has succeeded.
/// </remarks>
public sealed class WebhookDeliveryJob(
    IDbContextFactory<PortalDbContext> dbFactory,
    IHttpClientFactory httpClients,
    IOptionsMonitor<WebhookOptions> options,
    TimeProvider clock,
    IWebhookJobs jobs,
    ILogger<WebhookDeliveryJob> logger)
{
    public const string HttpClientName = "portal-webhooks";
    private const int ExcerptLength = 1000;

    /// <summary>Makes one attempt if the delivery is due; returns its state afterwards (null when it does not exist).</summary>
    public async Task<WebhookDeliveryState?> ExecuteAsync(long deliveryId, CancellationToken ct)
    {
        var settings = options.CurrentValue;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        var lease = now + settings.Timeout + TimeSpan.FromSeconds(30);
        var claimed = await db.WebhookDeliveries
            .Where(d => d.Id == deliveryId && d.State == WebhookDeliveryState.Pending && d.NextAttemptAt <= now && (d.LeaseUntil == null || d.LeaseUntil < now))
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseUntil, lease).SetProperty(d => d.Attempts, d => d.Attempts + 1), ct);
        var delivery = await db.WebhookDeliveries.SingleOrDefaultAsync(d => d.Id == deliveryId, ct);
        if (claimed == 0 || delivery is null)
            return delivery?.State;

        var webhook = await db.Webhooks.AsNoTracking().SingleOrDefaultAsync(w => w.Id == delivery.WebhookId, ct);
        var portalEvent = await db.PortalEvents.AsNoTracking().SingleOrDefaultAsync(e => e.Id == delivery.EventId, ct);
        if (webhook is null || portalEvent is null || !webhook.Enabled)
        {
            delivery.State = WebhookDeliveryState.Failed;
            delivery.LastError = webhook is { Enabled: false } ? "The webhook was disabled before this delivery was sent." : "The webhook or the event no longer exists.";
            delivery.LeaseUntil = null;
            delivery.CompletedAt = now;
            await db.SaveChangesAsync(ct);
            return delivery.State;
        }

        var slug = await db.Projects.Where(p => p.Id == portalEvent.ProjectId).Select(p => p.Slug).SingleAsync(ct);
        var body = Body(portalEvent, slug);
        var attempt = await SendAsync(webhook, delivery, portalEvent.Type, body, settings.Timeout, ct);
        attempt.DeliveryId = delivery.Id;
        attempt.Number = delivery.Attempts;
        db.WebhookDeliveryAttempts.Add(attempt);

        delivery.LastAttemptAt = attempt.At;
        delivery.LastStatusCode = attempt.StatusCode;
        delivery.LastError = attempt.Error;
        delivery.LeaseUntil = null;
        TimeSpan? retryIn = null;
        if (attempt.Error is null)
        {
            delivery.State = WebhookDeliveryState.Succeeded;
            delivery.CompletedAt = clock.GetUtcNow();
        }
        else if (delivery.Attempts >= settings.MaxAttempts)
        {
            delivery.State = WebhookDeliveryState.Failed;
            delivery.CompletedAt = clock.GetUtcNow();
            logger.LogWarning("Webhook delivery {DeliveryId} to {Url} failed after {Attempts} attempts: {Error}", delivery.Id, webhook.Url, delivery.Attempts, attempt.Error);
        }
        else
        {
            retryIn = settings.RetryDelay(delivery.Attempts);
            delivery.NextAttemptAt = clock.GetUtcNow() + retryIn.Value;
        }

        await db.SaveChangesAsync(ct);
        if (retryIn is { } delay)
            jobs.Schedule(delivery.Id, delay);
        return delivery.State;
    }

    /// <summary>The request body: <c>{id, type, occurredAt, project, data}</c>, <c>data</c> being the event's payload.</summary>
    internal static byte[] Body(PortalEvent e, string projectSlug)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("id", e.Id);
            json.WriteString("type", e.Type);
            json.WriteString("occurredAt", e.OccurredAt.ToUniversalTime());
            json.WriteString("project", projectSlug);
            json.WritePropertyName("data");
            using (var data = JsonDocument.Parse(e.PayloadJson))
                data.RootElement.WriteTo(json);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private async Task<WebhookDeliveryAttempt> SendAsync(Webhook webhook, WebhookDelivery delivery, string eventType, byte[] body, TimeSpan timeout, CancellationToken ct)
    {
        var at = clock.GetUtcNow();
        var timestamp = at.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, webhook.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation(WebhookSignature.SignatureHeader, WebhookSignature.Compute(webhook.Secret, timestamp, body));
        request.Headers.TryAddWithoutValidation(WebhookSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(WebhookSignature.EventHeader, eventType);
        request.Headers.TryAddWithoutValidation(WebhookSignature.DeliveryHeader, delivery.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.UserAgent.ParseAdd("Portal-Webhooks/1");

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutSource.CancelAfter(timeout);
        var watch = Stopwatch.StartNew();
        var attempt = new WebhookDeliveryAttempt { At = at };
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeoutSource.Token);
            attempt.StatusCode = (int)response.StatusCode;
            attempt.ResponseExcerpt = await ReadExcerptAsync(response, timeoutSource.Token);
            if (!response.IsSuccessStatusCode)
                attempt.Error = $"The receiver answered {(int)response.StatusCode} {response.ReasonPhrase}.";
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            attempt.Error = $"No answer within {timeout.TotalSeconds:0.#} s.";
        }
        catch (HttpRequestException ex)
        {
            attempt.Error = NonPublicAddressException.FindIn(ex) is { } refused
                ? Shorten($"Not sent ({ErrorCodes.WebhookUrlNotAllowed}): {refused.Message}; webhooks may only call public addresses.")
                : Shorten(ex.Message);
        }

        attempt.DurationMs = (int)Math.Min(int.MaxValue, watch.ElapsedMilliseconds);
        return attempt;
    }

    private static async Task<string?> ReadExcerptAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            var buffer = new byte[ExcerptLength * 4];
            var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct);
            var text = Encoding.UTF8.GetString(buffer, 0, read);
            return text.Length == 0 ? null : Shorten(text);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return null;
        }
    }

    private static string Shorten(string text) => text.Length <= ExcerptLength ? text : text[..(ExcerptLength - 1)] + "…";
}
