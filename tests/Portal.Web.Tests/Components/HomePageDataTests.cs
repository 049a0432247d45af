using Bunit;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Home;
using Portal.Core.Features.Promotions;
using Portal.Web.Features.Home;

namespace Portal.Web.Tests.Components;

/// <summary>The home page on real data in SQLite: the news counts of a project read as words agree in number.</summary>
public sealed class HomePageDataTests : BunitContext, IAsyncLifetime, IClassFixture<SqliteApp>
{
    private readonly SqliteApp _app;
    private readonly AsyncServiceScope _scope;

    public HomePageDataTests(SqliteApp app)
    {
        _app = app;
        _scope = app.Services.CreateAsyncScope();
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
        var provider = _scope.ServiceProvider;
        Services.AddSingleton(provider.GetRequiredService<HomeDashboard>());
        Services.AddSingleton(provider.GetRequiredService<Pins>());
        Services.AddSingleton(provider.GetRequiredService<TimeProvider>());
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _scope.DisposeAsync();
    }

    [SkippableFact]
    public async Task One_protected_alias_move_is_a_move_and_two_versions_are_versions()
    {
        _app.SkipIfUnavailable();
        var team = await _app.Data.CreateProjectWithTeamAsync();
        await TestArtifacts.PublishAsync(_app.Services, team.Contributor.Principal, team.Slug, "corpus", "dataset", null, "", ("a.txt", "one"));
        await TestArtifacts.PublishAsync(_app.Services, team.Contributor.Principal, team.Slug, "corpus", "dataset", null, "", ("a.txt", "two"));
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            var services = scope.ServiceProvider;
            await services.GetRequiredService<PromotionPolicies>().SetAsync(team.Admin.Principal, team.Slug, "production", new PromotionPolicyRequest());
            var request = await services.GetRequiredService<RequestPromotion>().RequestAsync(team.Contributor.Principal, team.Slug, "corpus", new CreatePromotionRequest("v1", "production"));
            await services.GetRequiredService<DecidePromotion>().ApproveAsync(team.Reviewer.Principal, team.Slug, request.Id, new PromotionDecisionRequest("ok"));
        }

        var cut = Render<HomePage>(p => p.AddCascadingValue(Task.FromResult(new AuthenticationState(team.Viewer.Principal))));

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=news-count]")));
        var counts = cut.FindAll("[data-testid=news-count]").Select(c => c.TextContent.Trim()).ToList();
        Assert.Contains("2 versions", counts);
        Assert.Contains("1 protected alias move", counts);
        Assert.DoesNotContain(counts, c => c.StartsWith("1 ", StringComparison.Ordinal) && c.EndsWith('s'));
    }
}
