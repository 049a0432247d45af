using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using Portal.Core.Data;

namespace Portal.Web.Tests.Features.Reports;

/// <summary>The real clock moved by <see cref="Offset"/>, so a test can stand at a digest's due time.</summary>
public sealed class ShiftedClock : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;

    /// <summary>Moves the clock to <paramref name="at"/> (it keeps running from there).</summary>
    public void MoveTo(DateTimeOffset at) => Offset = at - System.GetUtcNow();
}

/// <summary>The portal with a movable clock, a public URL for links, and e-mail written to a pickup folder the tests read.</summary>
public abstract class DigestsApp(DatabaseProvider provider) : PortalApp(provider)
{
    public const string PublicUrl = "https://portal.example.test";

    public ShiftedClock Clock { get; } = new();

    public string MailFolder { get; } = Path.Combine(Path.GetTempPath(), "portal-tests", "mail-" + Guid.NewGuid().ToString("N")[..12]);

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Email:PickupFolder"] = MailFolder,
        ["Portal:PublicUrl"] = PublicUrl + "/",
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }

    public IReadOnlyList<MimeMessage> MailTo(string recipient)
    {
        if (!Directory.Exists(MailFolder))
            return [];
        return Directory.EnumerateFiles(MailFolder, "*.eml")
            .Order(StringComparer.Ordinal)
            .Select(file => MimeMessage.Load(file))
            .Where(m => m.To.Mailboxes.Any(a => string.Equals(a.Address, recipient, StringComparison.OrdinalIgnoreCase)))
            .ToList();
    }
}

public sealed class DigestsSqliteApp() : DigestsApp(DatabaseProvider.Sqlite);

public sealed class DigestsPostgresApp() : DigestsApp(DatabaseProvider.Postgres);
