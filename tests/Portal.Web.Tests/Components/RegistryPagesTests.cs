using Bunit;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Portal.Core.Features.Access;
using Portal.Core.Features.Registry;
using Portal.Web.Features.Registry;

namespace Portal.Web.Tests.Components;

/// <summary>
/// The registry pages on real use cases and a real SQLite database: the list with search, the collection page with its
/// versions, sources (redacted for outsiders), card (sanitised), fields and members, and the link dialog.
/// </summary>
public sealed class RegistryPagesTests : BunitContext, IAsyncLifetime, IClassFixture<SqliteApp>
{
    private readonly SqliteApp _app;
    private readonly AsyncServiceScope _scope;

    public RegistryPagesTests(SqliteApp app)
    {
        _app = app;
        _scope = app.Services.CreateAsyncScope();
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
        var provider = _scope.ServiceProvider;
        Services.AddSingleton(provider.GetRequiredService<RegistryCollections>());
        Services.AddSingleton(provider.GetRequiredService<RegistryVersions>());
        Services.AddSingleton(provider.GetRequiredService<RegistryLinks>());
        Services.AddSingleton(provider.GetRequiredService<ProjectMembers>());
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _scope.DisposeAsync();
    }

    private static Task<AuthenticationState> SignedIn(TestUser user) => Task.FromResult(new AuthenticationState(user.Principal));

    private async Task<(TestProject Team, string Collection)> SeedAsync(bool link = true)
    {
        var team = await _app.Data.CreateProjectWithTeamAsync();
        await TestArtifacts.PublishAsync(_app.Services, team.Contributor.Principal, team.Slug, "index", "index", null, "", ("a.bin", "alpha"));
        var name = TestData.UniqueSlug("reg");
        var collections = _scope.ServiceProvider.GetRequiredService<RegistryCollections>();
        await collections.CreateAsync(team.Admin.Principal, new CreateRegistryCollectionRequest(name, "index", "Support retriever " + name,
            "# Card\n\n**Bold** text <script>alert(1)</script>", ["licence", "owner"], new Dictionary<string, string> { ["licence"] = "MIT", ["owner"] = "ML team" }));
        if (link)
            await _scope.ServiceProvider.GetRequiredService<RegistryLinks>().LinkAsync(team.Admin.Principal, name, new LinkRegistryVersionRequest(team.Slug, "index", "v0"));
        return (team, name);
    }

    [SkippableFact]
    public async Task The_registry_list_shows_collections_with_their_aliases_and_searches_them()
    {
        _app.SkipIfUnavailable();
        var (team, name) = await SeedAsync();
        Render<MudPopoverProvider>();

        var cut = Render<RegistryPage>(p => p.AddCascadingValue(SignedIn(team.Viewer)));

        cut.WaitForAssertion(() => Assert.Contains(cut.FindAll("[data-testid=collection-card]"), c => c.TextContent.Contains(name, StringComparison.Ordinal)));
        var card = cut.FindAll("[data-testid=collection-card]").Single(c => c.TextContent.Contains(name, StringComparison.Ordinal));
        Assert.Equal($"/registry/{name}", card.GetAttribute("href"));
        Assert.Contains("1 version", card.TextContent, StringComparison.Ordinal);
        Assert.Contains("index", card.TextContent, StringComparison.Ordinal);

        cut.Find("input[data-testid=registry-search], [data-testid=registry-search] input").Input("zzz-no-collection-matches");
        cut.WaitForAssertion(() => Assert.Contains("No matching collections", cut.Markup, StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task The_collection_page_shows_versions_sources_the_sanitised_card_fields_and_members()
    {
        _app.SkipIfUnavailable();
        var (team, name) = await SeedAsync();
        Render<MudPopoverProvider>();

        var cut = Render<CollectionPage>(p => p.Add(x => x.Name, name).AddCascadingValue(SignedIn(team.Admin)));

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=collection-version]")));
        var source = cut.Find("[data-testid=version-source]");
        Assert.Equal($"{team.Slug}/index:v0", source.TextContent);
        Assert.Equal($"/projects/{team.Slug}/artifacts/index/v0", source.GetAttribute("href"));
        Assert.Contains("latest", cut.Find("[data-testid=collection-version]").TextContent, StringComparison.Ordinal);
        var markdown = cut.Find("[data-testid=collection-card-text]");
        Assert.NotNull(markdown.QuerySelector("strong"));
        Assert.Null(markdown.QuerySelector("script"));
        Assert.Contains("MIT", cut.Find("[data-testid=card-fields]").TextContent, StringComparison.Ordinal);
        Assert.NotEmpty(cut.FindAll("[data-testid=collection-member]"));
        Assert.NotNull(cut.Find("[data-testid=edit-card]"));
        Assert.Empty(cut.FindAll("[data-testid=missing-fields]"));

        // An outsider reads the collection, but not where its version came from, and cannot edit the card.
        var outsider = await _app.Data.CreateUserAsync("outsider");
        var theirs = Render<CollectionPage>(p => p.Add(x => x.Name, name).AddCascadingValue(SignedIn(outsider)));
        theirs.WaitForAssertion(() => Assert.Single(theirs.FindAll("[data-testid=version-source-redacted]")));
        Assert.DoesNotContain(team.Slug, theirs.Markup, StringComparison.Ordinal);
        Assert.Empty(theirs.FindAll("[data-testid=edit-card]"));
    }

    [SkippableFact]
    public async Task The_link_dialog_offers_the_collections_you_contribute_to_and_links_the_version()
    {
        _app.SkipIfUnavailable();
        var (team, name) = await SeedAsync(link: false);
        var provider = Render<MudDialogProvider>(p => p.AddCascadingValue(SignedIn(team.Admin)));
        Render<MudPopoverProvider>();
        var dialogs = Services.GetRequiredService<IDialogService>();
        var parameters = new DialogParameters<LinkToRegistryDialog>
        {
            { d => d.Project, team.Slug },
            { d => d.Artifact, "index" },
            { d => d.Version, "v0" },
        };
        IDialogReference? reference = null;
        await provider.InvokeAsync(async () => reference = await dialogs.ShowAsync<LinkToRegistryDialog>("Link", parameters));

        provider.WaitForAssertion(() => Assert.False(provider.Find("[data-testid=link-submit]").HasAttribute("disabled")));
        await provider.Find("[data-testid=link-submit]").ClickAsync(new());

        var result = await reference!.Result;
        Assert.Equal($"/registry/{name}", Assert.IsType<string>(result!.Data));
        var versions = await _scope.ServiceProvider.GetRequiredService<RegistryVersions>().ListAsync(team.Admin.Principal, name);
        Assert.Equal("v0", Assert.Single(versions).Version);
    }
}
