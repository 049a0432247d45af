using static Portal.Core.ValidatedOptions;
namespace Portal.Core.Features.Webhooks;

public sealed class WebhookOptions : IValidatedOptions
{
    public const string Section = "Webhooks";

    /// <summary>How long a receiver has to answer one attempt.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts before a delivery is given up as failed.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The wait after the first failed attempt; it doubles after each further one (30 s, 1 min, 2 min … ).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Whether webhooks may point at loopback, private or link-local addresses. Off by default so that a project admin
    /// cannot make the portal call into its own network; turn it on only where receivers run on such addresses (development).
    /// </summary>
    public bool AllowPrivateAddresses { get; set; }

    /// <summary>How often the dispatcher turns new events into deliveries (Hangfire cron, seconds allowed).</summary>
    public string DispatchCron { get; set; } = "*/15 * * * * *";

    /// <summary>The wait before the next attempt after <paramref name="failedAttempts"/> failures.</summary>
    public TimeSpan RetryDelay(int failedAttempts)
    {
        var factor = Math.Pow(2, Math.Clamp(failedAttempts - 1, 0, 30));
        var delay = TimeSpan.FromTicks((long)Math.Min(RetryBaseDelay.Ticks * factor, MaxRetryDelay.Ticks));
        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
    }

    public IEnumerable<string> Problems()
    {
        var problems = Positive("Webhooks:Timeout", Timeout)
            .Concat(AtLeast("Webhooks:MaxAttempts", MaxAttempts, 1))
            .Concat(Positive("Webhooks:RetryBaseDelay", RetryBaseDelay))
            .Concat(Required("Webhooks:DispatchCron", DispatchCron))
            .ToList();
        if (MaxRetryDelay < RetryBaseDelay)
            problems.Add($"Webhooks:MaxRetryDelay ({MaxRetryDelay}) must not be shorter than Webhooks:RetryBaseDelay ({RetryBaseDelay}).");
        return problems;
    }
}
