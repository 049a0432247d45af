using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Portal.Core.Features.Artifacts;
using Portal.Web.Features.Artifacts;

namespace Portal.Web.Tests.Components;

/// <summary>The compare page on real versions in SQLite: defaults, the line diff of a changed file, and image previews.</summary>
public sealed class ComparePageDataTests : BunitContext, IAsyncLifetime, IClassFixture<SqliteApp>
{
    private readonly SqliteApp _app;
    private readonly AsyncServiceScope _scope;

    public ComparePageDataTests(SqliteApp app)
    {
        _app = app;
        _scope = app.Services.CreateAsyncScope();
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
        var provider = _scope.ServiceProvider;
        Services.AddSingleton(provider.GetRequiredService<VersionOverview>());
        Services.AddSingleton(provider.GetRequiredService<VersionSpecs>());
        Services.AddSingleton(provider.GetRequiredService<VersionDiff>());
        Services.AddSingleton(provider.GetRequiredService<ArtifactCatalog>());
        Services.AddSingleton(provider.GetRequiredService<VersionFileDiff>());
        Services.AddSingleton(provider.GetRequiredService<FilePreview>());
        Services.AddSingleton(provider.GetRequiredService<Portal.Core.Features.Compare.CompareReports>());
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _scope.DisposeAsync();
    }

    private static Task<AuthenticationState> SignedIn(TestUser user) => Task.FromResult(new AuthenticationState(user.Principal));

    /// <summary>The page reads from, to, file and view from the address, as a deep link gives them.</summary>
    private IRenderedComponent<ComparePage> RenderCompare(TestUser user, string slug, string query)
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/projects/{slug}/compare?{query}");
        return Render<ComparePage>(p => p.Add(x => x.Slug, slug).AddCascadingValue(SignedIn(user)));
    }

    private async Task<(TestUser User, string Slug, ArtifactVersionResponse V0, ArtifactVersionResponse V1)> PublishTwoAsync()
    {
        var user = await _app.Data.CreateUserAsync("compare");
        var project = await _app.Data.CreateProjectAsync(user);
        var v0 = await TestArtifacts.PublishAsync(_app.Services, user.Principal, project.Slug, "prompts", "dataset", null, "",
            ("system.txt", "You are helpful.\nBe brief.\nCite sources.\n"), ("logo.png", "\u0089PNG fake"), ("same.md", "unchanged"));
        var v1 = await TestArtifacts.PublishAsync(_app.Services, user.Principal, project.Slug, "prompts", "dataset", null, "",
            ("system.txt", "You are helpful.\nBe <b>very</b> brief.\nCite sources.\nNever guess.\n"), ("logo.png", "\u0089PNG other"), ("same.md", "unchanged"));
        return (user, project.Slug, v0, v1);
    }

    [SkippableFact]
    public async Task Opened_with_only_a_version_it_compares_with_the_one_before()
    {
        _app.SkipIfUnavailable();
        var (user, slug, _, v1) = await PublishTwoAsync();
        Render<MudPopoverProvider>();

        var cut = RenderCompare(user, slug, $"to={v1.Id}");

        cut.WaitForAssertion(() => Assert.Contains("prompts:v0", cut.Find("#page-title").TextContent, StringComparison.Ordinal));
        Assert.Contains("prompts:v1", cut.Find("#page-title").TextContent, StringComparison.Ordinal);
        Assert.Equal("2", cut.Find("[data-testid=diff-modified]").TextContent);
        // Text files get a line diff link; the PNG does not.
        Assert.Single(cut.FindAll("[data-testid=text-diff-link]"));
    }

    [SkippableTheory]
    [InlineData("from=prompts:v0&to=prompts:v1")]
    [InlineData("from=prompts:v0&to=prompts:latest")]
    [InlineData("from={v0}&to=prompts:latest")]
    [InlineData("from=prompts:{digest0}&to={v1}")]
    [InlineData("to=prompts:latest")]
    public async Task Versions_are_named_by_id_number_alias_or_digest_prefix(string query)
    {
        _app.SkipIfUnavailable();
        var (user, slug, v0, v1) = await PublishTwoAsync();
        Render<MudPopoverProvider>();

        var cut = RenderCompare(user, slug, query.Replace("{v0}", v0.Id.ToString(), StringComparison.Ordinal)
            .Replace("{v1}", v1.Id.ToString(), StringComparison.Ordinal).Replace("{digest0}", v0.ManifestDigest[..10], StringComparison.Ordinal));

        cut.WaitForAssertion(() => Assert.Contains("prompts:v0", cut.Find("#page-title").TextContent, StringComparison.Ordinal));
        Assert.Contains("prompts:v1", cut.Find("#page-title").TextContent, StringComparison.Ordinal);
        Assert.Equal("2", cut.Find("[data-testid=diff-modified]").TextContent);
        Assert.Contains("manifest ranges shared and skipped", cut.Find("[data-testid=range-summary]").TextContent, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_name_that_is_no_version_says_so()
    {
        _app.SkipIfUnavailable();
        var (user, slug, _, _) = await PublishTwoAsync();

        var unknown = RenderCompare(user, slug, "from=prompts:v7&to=prompts:v1");
        unknown.WaitForAssertion(() => Assert.Contains("not in project", unknown.Markup, StringComparison.Ordinal));
        var malformed = RenderCompare(user, slug, "from=v0&to=prompts:v1");
        malformed.WaitForAssertion(() => Assert.Contains("does not name a version", malformed.Markup, StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task The_first_version_alone_has_nothing_to_compare_with()
    {
        _app.SkipIfUnavailable();
        var (user, slug, v0, _) = await PublishTwoAsync();

        var cut = RenderCompare(user, slug, $"to={v0.Id}");

        cut.WaitForAssertion(() => Assert.Contains("Pick two versions", cut.Markup, StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_changed_text_file_shows_its_line_diff_inline_or_side_by_side()
    {
        _app.SkipIfUnavailable();
        var (user, slug, v0, v1) = await PublishTwoAsync();
        Render<MudPopoverProvider>();

        var cut = RenderCompare(user, slug, $"from={v0.Id}&to={v1.Id}&file=system.txt");

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=text-diff-inline]")));
        Assert.Equal("+2 −1", cut.Find("[data-testid=text-diff-counts]").TextContent.Trim());
        var added = cut.FindAll("tr.portal-diff-added").Select(r => r.QuerySelector(".portal-diff-text")!.TextContent).ToList();
        Assert.Equal(["Be <b>very</b> brief.", "Never guess."], added);
        Assert.Empty(cut.FindAll("[data-testid=text-diff] b"));

        cut = RenderCompare(user, slug, $"from={v0.Id}&to={v1.Id}&file=system.txt&view=split");
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=text-diff-split]")));
        var changed = cut.FindAll("[data-testid=text-diff-split] tr").Single(r => r.TextContent.Contains("Be brief.", StringComparison.Ordinal));
        Assert.Contains("Be <b>very</b> brief.", changed.TextContent, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_binary_file_gets_no_line_diff_but_a_reason()
    {
        _app.SkipIfUnavailable();
        var (user, slug, v0, v1) = await PublishTwoAsync();

        var cut = RenderCompare(user, slug, $"from={v0.Id}&to={v1.Id}&file=logo.png");

        cut.WaitForAssertion(() => Assert.Contains("not text", cut.Find("[data-testid=text-diff]").TextContent, StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task An_image_previews_as_an_img_from_the_inline_download_never_inlined_svg()
    {
        _app.SkipIfUnavailable();
        var user = await _app.Data.CreateUserAsync("images");
        var project = await _app.Data.CreateProjectAsync(user);
        var version = await TestArtifacts.PublishAsync(_app.Services, user.Principal, project.Slug, "pics", "dataset", null, "",
            ("chart.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"));

        var cut = Render<FilePreviewPanel>(p => p
            .Add(x => x.Slug, project.Slug).Add(x => x.VersionId, version.Id).Add(x => x.Path, "chart.svg")
            .AddCascadingValue(SignedIn(user)));

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=preview-image] img")));
        Assert.Equal($"/api/v1/projects/{project.Slug}/versions/{version.Id}/file?path=chart.svg&inline=true", cut.Find("[data-testid=preview-image] img").GetAttribute("src"));
        Assert.Empty(cut.FindAll("svg script"));
        Assert.DoesNotContain("alert(1)", cut.Markup, StringComparison.Ordinal);
    }
}
