using static Portal.Core.ValidatedOptions;
namespace Portal.Core.Features.Reports;

public sealed class DigestOptions : IValidatedOptions
{
    public const string Section = "Digests";

    /// <summary>
    /// How often the digest job looks for due subscriptions (Hangfire cron). Digests are due on the hour, so the
    /// default runs a few minutes past every hour.
    /// </summary>
    public string Cron { get; set; } = "5 * * * *";

    /// <summary>
    /// How long a digest may stay claimed ("sending") before the job counts its sender as gone (a process killed
    /// mid-send): the claim is then recorded as failed and its period handed back, so the next digest covers it.
    /// </summary>
    public TimeSpan ClaimTimeout { get; set; } = TimeSpan.FromHours(1);

    public IEnumerable<string> Problems() =>
        Required("Digests:Cron", Cron).Concat(Positive("Digests:ClaimTimeout", ClaimTimeout));
}

/// <summary><c>Portal:PublicUrl</c>: the address people reach the portal at, for absolute links in e-mail.</summary>
public sealed class PublicUrlOptions : IValidatedOptions
{
    public const string Section = "Portal";

    /// <summary>e.g. <c>https://portal.example.com</c>; empty means links in e-mail are paths relative to the portal.</summary>
    public string? PublicUrl { get; set; }

    public IEnumerable<string> Problems() =>
        HttpUrl("Portal:PublicUrl", PublicUrl);
}
