namespace Portal.Client.Models;

/// <summary>
/// Subscribes the caller to a project's e-mail digest: <see cref="Frequency"/> <c>daily</c> or <c>weekly</c>, due at
/// <see cref="HourUtc"/> (0–23, UTC) and, for weekly digests, on <see cref="WeekDay"/> (<c>monday</c> … <c>sunday</c>,
/// default monday).
/// </summary>
public sealed record DigestSubscriptionRequest(string Frequency, int HourUtc = 7, string? WeekDay = null);

/// <summary>The caller's digest subscription of a project, with when the next digest is due and the last ones sent.</summary>
public sealed record DigestSubscriptionResponse(
    Guid Id,
    string Project,
    string Frequency,
    int HourUtc,
    string WeekDay,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastPeriodEnd,
    DateTimeOffset NextDueAt,
    IReadOnlyList<DigestDeliveryResponse> RecentDeliveries);

/// <summary>One digest: the period it covered, whether it was sent, found empty (nothing sent) or failed.</summary>
public sealed record DigestDeliveryResponse(
    long Id,
    DateTimeOffset PeriodStart,
    DateTimeOffset PeriodEnd,
    bool Manual,
    string Outcome,
    int ItemCount,
    string? Error,
    DateTimeOffset CreatedAt);

/// <summary>
/// What the next digest would hold now: the period, counts per section, the subject and both bodies. When
/// <see cref="Empty"/> is true nothing happened in the period and no mail would be sent.
/// </summary>
public sealed record DigestPreviewResponse(
    string Project,
    DateTimeOffset PeriodStart,
    DateTimeOffset PeriodEnd,
    bool Empty,
    DigestCounts Counts,
    string Subject,
    string TextBody,
    string HtmlBody);

/// <summary>How many events of each kind an e-mail digest covers.</summary>
public sealed record DigestCounts(int NewVersions, int AliasMoves, int Promotions, int FailedValidations, int WaitingApprovals)
{
    public int Total => NewVersions + AliasMoves + Promotions + FailedValidations + WaitingApprovals;
}

/// <summary>The answer to "Send now": whether a mail went out, to whom, and for which period.</summary>
public sealed record DigestSendResponse(bool Sent, string Message, string? To, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd, DigestCounts Counts);
