using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using Portal.Core.Data;
using Portal.Core.Features.Checks;

namespace Portal.Web.Tests.Features.Promotions;

/// <summary>
/// Check results set by the tests: the real source (validation jobs, compare reports) is another feature's, and
/// promotions only read it through <see cref="IVersionCheckStatusSource"/>.
/// </summary>
public sealed class TestCheckStatuses : IVersionCheckStatusSource
{
    private readonly ConcurrentDictionary<Guid, VersionCheckStatus> _validation = new();
    private readonly ConcurrentDictionary<(Guid, Guid), VersionCheckStatus> _compare = new();

    public void SetValidation(Guid versionId, VersionCheckState state) => _validation[versionId] = new VersionCheckStatus(state, $"validation {state}");

    public void SetCompareReport(Guid fromVersionId, Guid toVersionId, VersionCheckState state) =>
        _compare[(fromVersionId, toVersionId)] = new VersionCheckStatus(state, $"compare report {state}", "/reports/test");

    public Task<VersionCheckStatus> GetValidationAsync(Guid versionId, CancellationToken ct) =>
        Task.FromResult(_validation.GetValueOrDefault(versionId) ?? new VersionCheckStatus(VersionCheckState.Missing, "not validated"));

    public Task<VersionCheckStatus> GetCompareReportAsync(Guid fromVersionId, Guid toVersionId, CancellationToken ct) =>
        Task.FromResult(_compare.GetValueOrDefault((fromVersionId, toVersionId)) ?? new VersionCheckStatus(VersionCheckState.Missing, "no report"));
}

/// <summary>The portal with test check results and e-mail written to a pickup folder the tests read.</summary>
public abstract class PromotionsApp(DatabaseProvider provider) : PortalApp(provider)
{
    public TestCheckStatuses Checks { get; } = new();

    public string MailFolder { get; } = Path.Combine(Path.GetTempPath(), "portal-tests", "mail-" + Guid.NewGuid().ToString("N")[..12]);

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Email:PickupFolder"] = MailFolder };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<IVersionCheckStatusSource>(Checks));
    }

    /// <summary>Every message written so far that has <paramref name="recipient"/> among its recipients.</summary>
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

public sealed class PromotionsSqliteApp() : PromotionsApp(DatabaseProvider.Sqlite);

public sealed class PromotionsPostgresApp() : PromotionsApp(DatabaseProvider.Postgres);

public sealed class PromotionsSqlServerApp() : PromotionsApp(DatabaseProvider.SqlServer);
