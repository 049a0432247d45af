using Bunit;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor;
using MudBlazor.Services;
using Portal.Core.Data;
using Portal.Core.Features.Automations;
using Portal.Core.Features.Projects;
using Portal.Core.Features.Registry;
using Portal.Core.Features.Webhooks;
using Portal.Web.Features.Automations;

namespace Portal.Web.Tests.Components;

/// <summary>
/// The automations page on real use cases and a real SQLite database: rules with their last run, the add form for
/// admins (validated by the use case), the runs list, and a read-only view for members below admin.
/// </summary>
public sealed class AutomationsPageTests : BunitContext, IAsyncLifetime, IClassFixture<SqliteApp>
{
    private readonly SqliteApp _app;
    private readonly AsyncServiceScope _scope;

    public AutomationsPageTests(SqliteApp app)
    {
        _app = app;
        _scope = app.Services.CreateAsyncScope();
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
        var provider = _scope.ServiceProvider;
        Services.AddSingleton(provider.GetRequiredService<Automations>());
        Services.AddSingleton(provider.GetRequiredService<Projects>());
        Services.AddSingleton(provider.GetRequiredService<RegistryCollections>());
        Services.AddSingleton(provider.GetRequiredService<IOptions<AutomationOptions>>());
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _scope.DisposeAsync();
    }

    private static Task<AuthenticationState> SignedIn(TestUser user) => Task.FromResult(new AuthenticationState(user.Principal));

    private async Task DispatchAndRunAsync()
    {
        await _app.WithServicesAsync(s => s.GetRequiredService<WebhookDispatcher>().ExecuteAsync(CancellationToken.None));
        var ids = await _app.WithServicesAsync(async s =>
        {
            await using var db = await s.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await db.AutomationRuns.Where(r => r.Outcome == AutomationOutcome.Pending).Select(r => r.Id).ToListAsync();
        });
        foreach (var id in ids)
            await _app.WithServicesAsync(s => s.GetRequiredService<AutomationRunJob>().ExecuteAsync(id, CancellationToken.None));
    }

    [SkippableFact]
    public async Task An_admin_adds_a_rule_sees_its_last_run_and_its_runs()
    {
        _app.SkipIfUnavailable();
        var team = await _app.Data.CreateProjectWithTeamAsync();
        Render<MudPopoverProvider>();
        var cut = Render<AutomationsPage>(p => p.Add(x => x.Slug, team.Slug).AddCascadingValue(SignedIn(team.Admin)));
        cut.WaitForAssertion(() => Assert.Contains("No automations yet", cut.Markup, StringComparison.Ordinal));
        Assert.True(cut.Find("[data-testid=add-automation]").HasAttribute("disabled"), "no name, no rule");

        // A filter the use case refuses is shown in the form, as text.
        cut.Find("input[data-testid=automation-name], [data-testid=automation-name] input").Input("<b>compare</b> datasets");
        cut.Find("input[data-testid=automation-type], [data-testid=automation-type] input").Change("Not A Type");
        cut.Find("[data-testid=add-automation]").Click();
        cut.WaitForAssertion(() => Assert.Contains("is not an artifact type", cut.Find("[data-testid=automation-form-error]").TextContent, StringComparison.Ordinal));

        cut.Find("input[data-testid=automation-type], [data-testid=automation-type] input").Change("dataset");
        cut.Find("[data-testid=add-automation]").Click();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=automation-row]")));
        var row = cut.Find("[data-testid=automation-row]");
        Assert.Equal("<b>compare</b> datasets", row.TextContent);
        Assert.Null(row.QuerySelector("b"));
        Assert.Contains("not run yet", cut.Find("[data-testid=automation-last-run]").TextContent, StringComparison.Ordinal);

        await TestArtifacts.PublishAsync(_app.Services, team.Contributor.Principal, team.Slug, "corpus", "dataset", null, "", ("a.txt", "one"));
        await TestArtifacts.PublishAsync(_app.Services, team.Contributor.Principal, team.Slug, "corpus", "dataset", null, "", ("a.txt", "two"));
        await DispatchAndRunAsync();

        var again = Render<AutomationsPage>(p => p.Add(x => x.Slug, team.Slug).AddCascadingValue(SignedIn(team.Admin)));
        again.WaitForAssertion(() => Assert.Contains("succeeded", again.Find("[data-testid=automation-last-run]").TextContent, StringComparison.Ordinal));
        again.Find("[data-testid=show-runs]").Click();
        again.WaitForAssertion(() => Assert.Equal(2, again.FindAll("[data-testid=run-outcome]").Count));
        Assert.Equal(["succeeded", "skipped"], again.FindAll("[data-testid=run-outcome]").Select(o => o.TextContent.Trim()));
        Assert.Contains("corpus:v0 → corpus:v1", again.FindAll("[data-testid=run-message]")[0].TextContent, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Members_below_admin_read_rules_without_the_form_and_a_collection_offers_version_linked()
    {
        _app.SkipIfUnavailable();
        var team = await _app.Data.CreateProjectWithTeamAsync();
        var automations = _scope.ServiceProvider.GetRequiredService<Automations>();
        await automations.CreateAsync(team.Admin.Principal, AutomationScope.Project(team.Slug),
            new CreateAutomationRequest("eval", "version.committed", "evaluation_request", Url: "https://eval.example.test/requests"));
        Render<MudPopoverProvider>();

        var cut = Render<AutomationsPage>(p => p.Add(x => x.Slug, team.Slug).AddCascadingValue(SignedIn(team.Viewer)));
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=automation-row]")));
        Assert.Empty(cut.FindAll("[data-testid=add-automation-form]"));
        Assert.Empty(cut.FindAll("[data-testid=delete-automation]"));
        Assert.DoesNotContain("eval.example.test", cut.Markup, StringComparison.Ordinal);

        var name = TestData.UniqueSlug("auto");
        await _scope.ServiceProvider.GetRequiredService<RegistryCollections>().CreateAsync(team.Admin.Principal,
            new CreateRegistryCollectionRequest(name, "index", "Retriever", "card", [], null));
        var collection = Render<AutomationsPage>(p => p.Add(x => x.Name, name).AddCascadingValue(SignedIn(team.Admin)));
        collection.WaitForAssertion(() => Assert.NotNull(collection.Find("[data-testid=add-automation-form]")));
        Assert.Contains("version.linked", collection.Find("[data-testid=automation-trigger]").TextContent + collection.Markup, StringComparison.Ordinal);
        collection.Find("input[data-testid=automation-name], [data-testid=automation-name] input").Input("compare links");
        collection.Find("[data-testid=add-automation]").Click();
        collection.WaitForAssertion(() => Assert.Single(collection.FindAll("[data-testid=automation-row]")));
        var rule = Assert.Single(await automations.ListAsync(team.Admin.Principal, AutomationScope.ForCollection(name)));
        Assert.Equal(("collection", "version.linked", "compare"), (rule.Scope, rule.Trigger, rule.Action));
    }
}
