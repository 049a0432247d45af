namespace Portal.Client.Models;

/// <summary>
/// Creates a webhook. <see cref="EventTypes"/> picks the events (<c>version.committed</c>, <c>alias.moved</c>,
/// <c>promotion.requested|approved|rejected|applied</c>); empty or null means every type.
/// </summary>
public sealed record CreateWebhookRequest(string Url, IReadOnlyList<string>? EventTypes = null, string? Description = null, bool Enabled = true);

/// <summary>Changes a webhook; fields left null keep their value.</summary>
public sealed record UpdateWebhookRequest(string? Url = null, IReadOnlyList<string>? EventTypes = null, string? Description = null, bool? Enabled = null);

/// <summary>A webhook without its secret; <see cref="SecretHint"/> is its last four characters, to tell secrets apart.</summary>
public sealed record WebhookResponse(
    Guid Id,
    string Url,
    string Description,
    IReadOnlyList<string> EventTypes,
    bool Enabled,
    string SecretHint,
    DateTimeOffset CreatedAt,
    WebhookDeliveryStats Deliveries);

/// <summary>How a webhook's deliveries went: pending, succeeded and failed counts and the last attempt.</summary>
public sealed record WebhookDeliveryStats(int Pending, int Succeeded, int Failed, DateTimeOffset? LastAttemptAt, int? LastStatusCode);

/// <summary>
/// The answer to creating a webhook or rotating its secret: <see cref="Secret"/> is shown here only. Receivers check
/// <c>X-Portal-Signature: sha256=HEX(HMAC-SHA256(secret, timestamp + "." + body))</c> with the timestamp from
/// <c>X-Portal-Timestamp</c> (Unix seconds).
/// </summary>
public sealed record CreatedWebhookResponse(WebhookResponse Webhook, string Secret);

/// <summary>One event sent to one webhook: its state, attempts so far and the receiver's last answer.</summary>
public sealed record WebhookDeliveryResponse(
    long Id,
    long EventId,
    string EventType,
    string State,
    int Attempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset? LastAttemptAt,
    int? LastStatusCode,
    string? LastError,
    DateTimeOffset? CompletedAt,
    IReadOnlyList<WebhookAttemptResponse> AttemptLog);

/// <summary>One attempt to deliver an event to a webhook.</summary>
public sealed record WebhookAttemptResponse(int Number, DateTimeOffset At, int? StatusCode, int DurationMs, string? Error, string? ResponseExcerpt);
