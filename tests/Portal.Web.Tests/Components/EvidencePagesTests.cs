using Bunit;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Evidence;
using Portal.Web.Features.Evidence;
using Portal.Web.Features.Promotions;

namespace Portal.Web.Tests.Components;

/// <summary>The evidence parts of the pages on SQLite: the keys panel of the admin page and the alias-at-time export link.</summary>
public sealed class EvidencePagesTests : BunitContext, IAsyncLifetime, IClassFixture<SqliteApp>
{
    private readonly SqliteApp _app;
    private readonly AsyncServiceScope _scope;

    public EvidencePagesTests(SqliteApp app)
    {
        _app = app;
        _scope = app.Services.CreateAsyncScope();
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddSingleton(_scope.ServiceProvider.GetRequiredService<EvidenceKeys>());
        Services.AddSingleton(_scope.ServiceProvider.GetRequiredService<ArtifactAliases>());
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _scope.DisposeAsync();
    }

    [SkippableFact]
    public async Task The_keys_panel_lists_the_public_keys_and_rotation_keeps_the_old_one_as_retired()
    {
        _app.SkipIfUnavailable();
        var admin = new AuthenticationState(Portal.Core.Data.DemoData.PrincipalFor(await AdminIdAsync()));
        Render<MudPopoverProvider>();
        var cut = Render<EvidenceKeysPanel>(p => p.AddCascadingValue(Task.FromResult(admin)));
        Assert.Contains("/.well-known/portal-evidence-keys.json", cut.Markup, StringComparison.Ordinal);
        var before = cut.FindAll("[data-testid=evidence-key]").Count;

        await cut.Find("[data-testid=rotate-evidence-key]").ClickAsync(new());
        cut.WaitForAssertion(() => Assert.Equal(before + 1, cut.FindAll("[data-testid=evidence-key]").Count));
        var rows = cut.FindAll("[data-testid=evidence-key]");
        Assert.Equal(1, rows.Count(r => r.TextContent.Contains("active", StringComparison.Ordinal)));
        Assert.Contains("active", rows[0].TextContent, StringComparison.Ordinal);
        if (before > 0)
            Assert.Contains("retired", rows[1].TextContent, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task The_alias_at_time_answer_offers_the_evidence_pack_for_that_alias_and_moment()
    {
        _app.SkipIfUnavailable();
        var team = await _app.Data.CreateProjectWithTeamAsync();
        await TestArtifacts.PublishAsync(_app.Services, team.Contributor.Principal, team.Slug, "corpus", "documents", null, "", ("a.txt", "alpha"));
        Render<MudPopoverProvider>();
        var cut = Render<AliasAtTime>(p => p.Add(x => x.Slug, team.Slug).Add(x => x.Name, "corpus").Add(x => x.AliasNames, ["latest"])
            .AddCascadingValue(Task.FromResult(new AuthenticationState(team.Viewer.Principal))));
        // The field starts at the current second, which may be before the commit's millisecond: ask about a minute on.
        var moment = DateTimeOffset.UtcNow.AddMinutes(1).ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        cut.Find("input[data-testid=alias-at-time-input], [data-testid=alias-at-time-input] input").Input(moment);
        await cut.Find("[data-testid=alias-at-ask]").ClickAsync(new());
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=alias-at-evidence]")));
        var href = cut.Find("[data-testid=alias-at-evidence]").GetAttribute("href")!;
        Assert.StartsWith($"/api/v1/projects/{team.Slug}/evidence?alias=corpus%3Alatest&at=", href, StringComparison.Ordinal);
    }

    private Task<string> AdminIdAsync() => _app.WithServicesAsync(async s =>
    {
        var users = s.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<Portal.Core.Features.Access.PortalUser>>();
        return (await users.FindByEmailAsync(PortalApp.AdminEmail))!.Id;
    });
}
