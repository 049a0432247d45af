using System.Text.Json;
using Bunit;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Runs;
using Portal.Web.Features.Artifacts;
using Portal.Web.Features.Runs;

namespace Portal.Web.Tests.Components;

/// <summary>
/// The project pages' components on real use cases and a real SQLite database: previews chosen by file kind and
/// never rendered as HTML, folder paging with "load more", and the runs table's server-side filters and paging.
/// </summary>
public sealed class ProjectPagesDataTests : BunitContext, IAsyncLifetime, IClassFixture<SqliteApp>
{
    private readonly SqliteApp _app;
    private readonly AsyncServiceScope _scope;

    public ProjectPagesDataTests(SqliteApp app)
    {
        _app = app;
        _scope = app.Services.CreateAsyncScope();
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
        var provider = _scope.ServiceProvider;
        Services.AddSingleton(provider.GetRequiredService<FilePreview>());
        Services.AddSingleton(provider.GetRequiredService<VersionFiles>());
        Services.AddSingleton(provider.GetRequiredService<Runs>());
        Services.AddSingleton(provider.GetRequiredService<ProjectMembers>());
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _scope.DisposeAsync();
    }

    private static Task<AuthenticationState> SignedIn(TestUser user) => Task.FromResult(new AuthenticationState(user.Principal));

    [SkippableFact]
    public async Task A_csv_previews_as_a_table_with_column_types_and_quoted_commas_intact()
    {
        _app.SkipIfUnavailable();
        var (user, slug, version) = await PublishAsync(("data/train.csv", "id,text,score\n1,\"late, and broken\",0.5\n2,,0.25\n"));
        Render<MudPopoverProvider>();

        var cut = Render<FilePreviewPanel>(p => p
            .Add(x => x.Slug, slug).Add(x => x.VersionId, version.Id).Add(x => x.Path, "data/train.csv")
            .AddCascadingValue(SignedIn(user)));

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=preview-table]")));
        var headers = cut.FindAll("th").Select(th => th.TextContent).ToList();
        Assert.Contains(headers, h => h.Contains("id", StringComparison.Ordinal) && h.Contains("integer", StringComparison.Ordinal));
        Assert.Contains(headers, h => h.Contains("text", StringComparison.Ordinal) && h.Contains("1 empty", StringComparison.Ordinal));
        Assert.Contains(headers, h => h.Contains("score", StringComparison.Ordinal) && h.Contains("number", StringComparison.Ordinal));
        Assert.Contains("late, and broken", cut.FindAll("td").Select(td => td.TextContent));
        Assert.Contains("2 rows", cut.Find("[data-testid=preview-rows]").TextContent, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Html_in_an_artifact_is_previewed_as_text_never_as_markup()
    {
        _app.SkipIfUnavailable();
        var (user, slug, version) = await PublishAsync(("page.html", "<script>alert(1)</script><b onclick=\"x()\">hi</b>"));

        var cut = Render<FilePreviewPanel>(p => p
            .Add(x => x.Slug, slug).Add(x => x.VersionId, version.Id).Add(x => x.Path, "page.html")
            .AddCascadingValue(SignedIn(user)));

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=preview-text]")));
        Assert.Equal("<script>alert(1)</script><b onclick=\"x()\">hi</b>", cut.Find("[data-testid=preview-text]").TextContent);
        Assert.Empty(cut.FindAll("script"));
        Assert.Empty(cut.FindAll("b"));
    }

    [SkippableFact]
    public async Task Json_is_pretty_printed_and_jsonl_shows_its_records()
    {
        _app.SkipIfUnavailable();
        var (user, slug, version) = await PublishAsync(("meta.json", "{\"a\":1,\"b\":[1,2]}"), ("rows.jsonl", "{\"id\":1}\n{\"id\":2}\n"));

        var json = Render<FilePreviewPanel>(p => p
            .Add(x => x.Slug, slug).Add(x => x.VersionId, version.Id).Add(x => x.Path, "meta.json")
            .AddCascadingValue(SignedIn(user)));
        json.WaitForAssertion(() => Assert.Contains("\n  \"a\": 1", json.Find("[data-testid=preview-text]").TextContent, StringComparison.Ordinal));

        var lines = Render<FilePreviewPanel>(p => p
            .Add(x => x.Slug, slug).Add(x => x.VersionId, version.Id).Add(x => x.Path, "rows.jsonl")
            .AddCascadingValue(SignedIn(user)));
        lines.WaitForAssertion(() => Assert.Contains("\"id\": 2", lines.Find("[data-testid=preview-text]").TextContent, StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_large_folder_lists_a_page_then_loads_more_and_filters_what_is_loaded()
    {
        _app.SkipIfUnavailable();
        var files = Enumerable.Range(0, FileBrowser.PageSize + 50).Select(i => ($"big/part-{i:D4}.txt", $"row {i}")).Append(("top.txt", "top")).ToArray();
        var (user, slug, version) = await PublishAsync(files);
        Render<MudPopoverProvider>();

        var cut = Render<FileBrowser>(p => p
            .Add(x => x.Slug, slug).Add(x => x.VersionId, version.Id).Add(x => x.Folder, "big").Add(x => x.BaseHref, "/v")
            .AddCascadingValue(SignedIn(user)));

        cut.WaitForAssertion(() => Assert.Equal(FileBrowser.PageSize, cut.FindAll("[data-testid=file-link]").Count));
        Assert.Contains("big", cut.Find("[data-testid=file-breadcrumbs]").TextContent, StringComparison.Ordinal);
        await cut.Find("[data-testid=load-more]").ClickAsync(new());
        cut.WaitForAssertion(() => Assert.Equal(FileBrowser.PageSize + 50, cut.FindAll("[data-testid=file-link]").Count));
        Assert.Empty(cut.FindAll("[data-testid=load-more]"));

        // The last file, which only the second page brought in.
        var last = $"part-{FileBrowser.PageSize + 49:D4}";
        cut.Find("input[data-testid=file-filter], [data-testid=file-filter] input").Input(last);
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=file-link]")));
        Assert.Contains("/api/v1/projects/" + slug + "/versions/" + version.Id + $"/file?path=big%2F{last}.txt", cut.Markup, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task FileBrowser_switches_folders_in_place_and_sorts_its_rows()
    {
        _app.SkipIfUnavailable();
        var (user, slug, version) = await PublishAsync(("data/meta/schema.json", "{}"), ("data/train.csv", "a\n1\n"), ("data/big.bin", new string('x', 5000)), ("README.md", "hi"));
        Render<MudPopoverProvider>();
        var cut = Render<FileBrowser>(p => p
            .Add(x => x.Slug, slug).Add(x => x.VersionId, version.Id).Add(x => x.BaseHref, "/v")
            .AddCascadingValue(SignedIn(user)));
        cut.WaitForAssertion(() => Assert.Equal(["data/", "README.md"], cut.FindAll("[data-testid=files-table] tbody a:not(.mud-icon-button)").Select(a => a.TextContent.Trim())));
        Assert.Equal("/v?folder=data%2F#files", cut.Find("[data-testid=folder-link]").GetAttribute("href"));

        // Another folder of the same version replaces the rows without going back to the skeleton.
        cut.Render(p => p.Add(x => x.Folder, "data/"));
        Assert.Empty(cut.FindAll("[data-testid=files-loading]"));
        Assert.NotNull(cut.Find("[data-testid=files-table]"));
        cut.WaitForAssertion(() => Assert.Equal(["meta/", "big.bin", "train.csv"], cut.FindAll("[data-testid=files-table] tbody a:not(.mud-icon-button)").Select(a => a.TextContent.Trim())));
        Assert.Empty(cut.FindAll("[data-testid=files-switching]"));
        Assert.Contains("data", cut.Find("[data-testid=file-breadcrumbs]").TextContent, StringComparison.Ordinal);
        Assert.Equal(2, cut.FindAll("[data-testid=copy]").Count);
        Assert.Contains("/file?path=data%2Ftrain.csv", cut.Markup, StringComparison.Ordinal);

        await cut.Find("[data-testid=sort-size]").ClickAsync(new());
        await cut.Find("[data-testid=sort-size]").ClickAsync(new());
        Assert.Equal(["big.bin", "train.csv", "meta/"], cut.FindAll("[data-testid=files-table] tbody a:not(.mud-icon-button)").Select(a => a.TextContent.Trim()));

        // The chosen order stays for the next folder.
        cut.Render(p => p.Add(x => x.Folder, null));
        cut.WaitForAssertion(() => Assert.Equal(["README.md", "data/"], cut.FindAll("[data-testid=files-table] tbody a:not(.mud-icon-button)").Select(a => a.TextContent.Trim())));
    }

    [SkippableFact]
    public async Task The_runs_table_pages_on_the_server_and_filters_by_status()
    {
        _app.SkipIfUnavailable();
        var team = await _app.Data.CreateProjectWithTeamAsync();
        var runs = _scope.ServiceProvider.GetRequiredService<Runs>();
        var start = DateTimeOffset.UtcNow.AddDays(-1);
        for (var i = 0; i < 30; i++)
        {
            var run = await runs.CreateAsync(team.Admin.Principal, team.Slug, new CreateRunRequest("model_training", $"run-{i:D2}", StartedAt: start.AddMinutes(i)));
            if (i % 10 == 0)
                await runs.FinishAsync(team.Admin.Principal, team.Slug, run.Id, new FinishRunRequest("failed", JsonDocument.Parse("{\"loss\":9}").RootElement));
        }

        Render<MudPopoverProvider>();
        var cut = Render<RunsTable>(p => p.Add(x => x.Slug, team.Slug).AddCascadingValue(SignedIn(team.Viewer)));

        cut.WaitForAssertion(() => Assert.Equal(25, cut.FindAll("tbody tr").Count));
        Assert.Contains("run-29", cut.Find("tbody tr").TextContent, StringComparison.Ordinal);
        var table = cut.FindComponent<MudTable<RunResponse>>();
        await cut.InvokeAsync(() => table.Instance.NavigateTo(1));
        cut.WaitForAssertion(() => Assert.Equal(5, cut.FindAll("tbody tr").Count));
        Assert.Contains("run-00", cut.FindAll("tbody tr")[^1].TextContent, StringComparison.Ordinal);

        var status = cut.FindComponents<MudSelect<string>>().Single(s => s.Instance.Label == "Status");
        await cut.InvokeAsync(() => status.Instance.ValueChanged.InvokeAsync("failed"));
        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("tbody tr").Count));
        Assert.All(cut.FindAll("tbody tr"), row => Assert.Contains("failed", row.TextContent, StringComparison.Ordinal));
        Assert.Contains("loss 9", cut.Markup, StringComparison.Ordinal);
    }

    private async Task<(TestUser User, string Slug, ArtifactVersionResponse Version)> PublishAsync(params (string Path, string Content)[] files)
    {
        var user = await _app.Data.CreateUserAsync("pages");
        var project = await _app.Data.CreateProjectAsync(user);
        var version = await TestArtifacts.PublishAsync(_app.Services, user.Principal, project.Slug, "corpus", "dataset", null, "", files);
        return (user, project.Slug, version);
    }
}
