using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Portal.Core.Features.Evaluations;
using Portal.Core.Features.Projects;
using Portal.Web.Features.Evaluations;

namespace Portal.Web.Tests.Components;

/// <summary>The evaluation pages on real evaluations in SQLite: the list, one evaluation, the matrix and the comparison.</summary>
public sealed class EvaluationPagesTests : BunitContext, IAsyncLifetime, IClassFixture<SqliteApp>
{
    private readonly SqliteApp _app;
    private readonly AsyncServiceScope _scope;

    public EvaluationPagesTests(SqliteApp app)
    {
        _app = app;
        _scope = app.Services.CreateAsyncScope();
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
        var provider = _scope.ServiceProvider;
        Services.AddSingleton(provider.GetRequiredService<EvaluationQueries>());
        Services.AddSingleton(provider.GetRequiredService<EvaluationMatrix>());
        Services.AddSingleton(provider.GetRequiredService<CompareEvaluations>());
        Services.AddSingleton(provider.GetRequiredService<Projects>());
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _scope.DisposeAsync();
    }

    private static Task<AuthenticationState> SignedIn(TestUser user) => Task.FromResult(new AuthenticationState(user.Principal));

    private static EvaluationRow Row(string id, double score, string? output = null) => new(id, new Dictionary<string, double> { ["acc"] = score }, 10, 5, output);

    /// <summary>index v0 and v1 on golden v0 (both) and v1 (v1 only).</summary>
    private async Task<(TestProject Team, EvaluationResponse Before, EvaluationResponse After, EvaluationResponse OtherSet)> SeedAsync()
    {
        var team = await _app.Data.CreateProjectWithTeamAsync();
        foreach (var i in new[] { 0, 1 })
        {
            await TestArtifacts.PublishAsync(_app.Services, team.Contributor.Principal, team.Slug, "index", "index", null, "", ("i.bin", $"index {i}"));
            await TestArtifacts.PublishAsync(_app.Services, team.Contributor.Principal, team.Slug, "golden", "eval", null, "", ("q.jsonl", $"q {i}"));
        }
        var log = _scope.ServiceProvider.GetRequiredService<LogEvaluation>();
        var before = await log.FromRowsAsync(team.Contributor.Principal, team.Slug, new EvaluationHeader("index:v0", "golden:v0", ["acc"]),
            [Row("q-1", 1, "the refund article"), Row("q-2", 0), Row("q-3", 1)]);
        var after = await log.FromRowsAsync(team.Contributor.Principal, team.Slug, new EvaluationHeader("index:v1", "golden:v0", ["acc"], "nightly"),
            [Row("q-1", 0, "the <b>shipping</b> article"), Row("q-2", 1), Row("q-3", 1)]);
        var otherSet = await log.FromRowsAsync(team.Contributor.Principal, team.Slug, new EvaluationHeader("index:v1", "golden:v1", ["acc"]),
            [Row("q-1", 0.5)]);
        return (team, before, after, otherSet);
    }

    [SkippableFact]
    public async Task The_list_shows_each_evaluation_and_compares_two_selected_ones()
    {
        _app.SkipIfUnavailable();
        var (team, before, after, _) = await SeedAsync();
        Render<MudPopoverProvider>();
        var cut = Render<EvaluationsPage>(p => p.Add(x => x.Slug, team.Slug).AddCascadingValue(SignedIn(team.Viewer)));
        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid=evaluations-table] tbody tr").Count));
        Assert.Contains("index:v1", cut.Markup, StringComparison.Ordinal);
        Assert.Contains("acc 0.6667", cut.Markup, StringComparison.Ordinal);
        Assert.True(cut.Find("[data-testid=compare-evaluations]").HasAttribute("disabled"));

        // Select the two evaluations on golden:v0 (rows are newest first: other set, after, before).
        var boxes = cut.FindAll("[data-testid=evaluations-table] tbody input[type=checkbox]");
        await boxes[1].ChangeAsync(new ChangeEventArgs { Value = true });
        await cut.FindAll("[data-testid=evaluations-table] tbody input[type=checkbox]")[2].ChangeAsync(new ChangeEventArgs { Value = true });
        cut.WaitForAssertion(() => Assert.False(cut.Find("[data-testid=compare-evaluations]").HasAttribute("disabled")));
        await cut.Find("[data-testid=compare-evaluations]").ClickAsync(new());
        Assert.EndsWith($"/projects/{team.Slug}/evaluations/compare?before={before.Id}&after={after.Id}", Services.GetRequiredService<NavigationManager>().Uri, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task One_evaluation_shows_its_scores_facts_and_what_to_compare_it_with()
    {
        _app.SkipIfUnavailable();
        var (team, before, after, _) = await SeedAsync();
        var cut = Render<EvaluationPage>(p => p.Add(x => x.Slug, team.Slug).Add(x => x.Id, after.Id).AddCascadingValue(SignedIn(team.Viewer)));
        cut.WaitForAssertion(() => Assert.Contains("index:v1", cut.Find("#page-title").TextContent, StringComparison.Ordinal));
        Assert.Contains("golden:v0", cut.Find("#page-title").TextContent, StringComparison.Ordinal);
        Assert.Contains("0.6667", cut.Find("[data-testid=evaluation-scores]").TextContent, StringComparison.Ordinal);
        Assert.Contains("10 ms / 10 ms", cut.Find("[data-testid=evaluation-facts]").TextContent, StringComparison.Ordinal);
        Assert.Contains(EvaluationComparePage.Href(team.Slug, before.Id, after.Id), cut.Find("[data-testid=compare-with]").InnerHtml.Replace("&amp;", "&", StringComparison.Ordinal), StringComparison.Ordinal);

        var missing = Render<EvaluationPage>(p => p.Add(x => x.Slug, team.Slug).Add(x => x.Id, Guid.NewGuid()).AddCascadingValue(SignedIn(team.Viewer)));
        missing.WaitForAssertion(() => Assert.Contains("has no evaluation", missing.Markup, StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task The_matrix_puts_versions_against_eval_sets_with_deltas_and_links_each_cell()
    {
        _app.SkipIfUnavailable();
        var (team, before, after, otherSet) = await SeedAsync();
        Render<MudPopoverProvider>();
        var cut = Render<EvaluationMatrixPage>(p => p.Add(x => x.Slug, team.Slug).Add(x => x.Name, "index").AddCascadingValue(SignedIn(team.Viewer)));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=evaluation-matrix]")));
        var headers = cut.FindAll("[data-testid=evaluation-matrix] thead th").Select(th => th.TextContent.Trim()).ToList();
        Assert.Equal("Version", headers[0]);
        Assert.StartsWith("golden:v0", headers[1], StringComparison.Ordinal);
        Assert.StartsWith("golden:v1", headers[2], StringComparison.Ordinal);
        var rows = cut.FindAll("[data-testid=evaluation-matrix] tbody tr");
        // Newest version first.
        Assert.StartsWith("v1", rows[0].QuerySelector("th")!.TextContent.Trim(), StringComparison.Ordinal);
        var cells = rows[0].QuerySelectorAll("td");
        Assert.Contains("0.6667", cells[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("+0", cells[0].TextContent, StringComparison.Ordinal);
        Assert.Contains(EvaluationPage.Href(team.Slug, after.Id), cells[0].InnerHtml, StringComparison.Ordinal);
        Assert.Contains(EvaluationPage.Href(team.Slug, otherSet.Id), cells[1].InnerHtml, StringComparison.Ordinal);
        Assert.Equal("—", rows[1].QuerySelectorAll("td")[1].TextContent.Trim());
        Assert.Contains(EvaluationPage.Href(team.Slug, before.Id), rows[1].InnerHtml, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task The_comparison_shows_the_attribution_and_the_examples_with_outputs_as_text()
    {
        _app.SkipIfUnavailable();
        var (team, before, after, otherSet) = await SeedAsync();
        Render<MudPopoverProvider>();
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/projects/{team.Slug}/evaluations/compare?before={before.Id}&after={after.Id}");
        var cut = Render<EvaluationComparePage>(p => p.Add(x => x.Slug, team.Slug).AddCascadingValue(SignedIn(team.Viewer)));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=example-changes]")));
        Assert.Equal("+0", cut.Find("[data-testid=subject-part]").TextContent.Trim());
        Assert.Equal("+0", cut.Find("[data-testid=data-part]").TextContent.Trim());
        var changes = cut.Find("[data-testid=example-changes]");
        Assert.Contains("1 worse · 1 better · 1 unchanged", changes.TextContent, StringComparison.Ordinal);
        Assert.Contains("q-1", changes.TextContent, StringComparison.Ordinal);
        Assert.Contains("the <b>shipping</b> article", changes.TextContent, StringComparison.Ordinal);
        Assert.Empty(changes.QuerySelectorAll("b"));

        // Across eval sets: no per-example list, and the missing crossing is named.
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/projects/{team.Slug}/evaluations/compare?before={before.Id}&after={otherSet.Id}");
        var across = Render<EvaluationComparePage>(p => p.Add(x => x.Slug, team.Slug).AddCascadingValue(SignedIn(team.Viewer)));
        across.WaitForAssertion(() => Assert.NotNull(across.Find("[data-testid=attribution]")));
        Assert.Empty(across.FindAll("[data-testid=example-changes]"));
        Assert.Contains("index:v0 on golden:v1", across.Find("[data-testid=attribution-missing]").TextContent, StringComparison.Ordinal);
    }
}
