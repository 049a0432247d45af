using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Automations;
using Portal.Core.Features.Webhooks;

namespace Portal.Web.Tests.Features.Automations;

/// <summary>The portal as it runs by default: evaluation requests, like webhooks, may only reach public addresses.</summary>
public abstract class GuardedAutomationsApp(DatabaseProvider provider) : PortalApp(provider)
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Webhooks:AllowPrivateAddresses"] = "false",
        ["Webhooks:Timeout"] = "00:00:02",
    };
}

public sealed class GuardedAutomationsSqliteApp() : GuardedAutomationsApp(DatabaseProvider.Sqlite);

public sealed class GuardedAutomationsPostgresApp() : GuardedAutomationsApp(DatabaseProvider.Postgres);

/// <summary>An admin cannot make the portal call into its own network through an evaluation request.</summary>
public abstract class AutomationAddressTests(GuardedAutomationsApp app)
{
    private static string Url(string slug, string rest = "") => $"/api/v1/projects/{slug}/automations{rest}";

    [SkippableFact]
    public async Task Internal_addresses_are_refused_when_the_rule_is_saved_and_when_it_runs()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var admin = app.ClientWithToken(team.Admin.Token);
        foreach (var url in new[] { "http://127.0.0.1:5000/eval", "http://localhost/eval", "http://10.1.2.3/", "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data/", "http://[::1]:8080/" })
        {
            await (await admin.PostJsonAsync(Url(team.Slug), new CreateAutomationRequest("eval", "version.committed", "evaluation_request", Url: url)))
                .AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.AutomationUrlRefused);
        }
        var rule = await (await admin.PostJsonAsync(Url(team.Slug), new CreateAutomationRequest("eval", "version.committed", "evaluation_request", Url: "https://eval.example.test/run")))
            .ReadOkAsync<CreatedAutomationResponse>(HttpStatusCode.Created);
        await (await admin.PatchAsJsonAsync(Url(team.Slug, $"/{rule.Rule.Id}"), new UpdateAutomationRequest(Url: "http://127.0.0.1:9/"), HttpAssertions.Json))
            .AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.AutomationUrlRefused);

        // A rule stored before the guard was turned on (or a name that resolves to an internal address) is refused when
        // the request would be sent, on the address actually connected to.
        await using var receiver = await WebhookReceiver.StartAsync();
        var port = new Uri(receiver.Url).Port;
        await app.WithServicesAsync(async s =>
        {
            await using var db = await s.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await db.AutomationRules.Where(r => r.Id == rule.Rule.Id)
                .ExecuteUpdateAsync(u => u.SetProperty(r => r.Url, $"http://127.0.0.1:{port}/eval"));
        });
        await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "corpus", "dataset", null, "guarded", ("a.txt", "x"));
        await app.WithServicesAsync(s => s.GetRequiredService<WebhookDispatcher>().ExecuteAsync(CancellationToken.None));
        var runId = await app.WithServicesAsync(async s =>
        {
            await using var db = await s.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await db.AutomationRuns.Where(r => r.RuleId == rule.Rule.Id).Select(r => r.Id).SingleAsync();
        });
        var outcome = await app.WithServicesAsync(s => s.GetRequiredService<AutomationRunJob>().ExecuteAsync(runId, CancellationToken.None));
        Assert.Equal(AutomationOutcome.Failed, outcome);
        var run = Assert.Single((await (await admin.GetAsync(Url(team.Slug, $"/{rule.Rule.Id}/runs"))).ReadOkAsync<PagedResponse<AutomationRunResponse>>()).Items);
        Assert.Contains(ErrorCodes.AutomationUrlRefused, run.Message, StringComparison.Ordinal);
        Assert.Empty(receiver.Received);
    }
}

public sealed class AutomationAddressTests_Sqlite(GuardedAutomationsSqliteApp app) : AutomationAddressTests(app), IClassFixture<GuardedAutomationsSqliteApp>;

public sealed class AutomationAddressTests_Postgres(GuardedAutomationsPostgresApp app) : AutomationAddressTests(app), IClassFixture<GuardedAutomationsPostgresApp>;
