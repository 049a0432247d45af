using Bunit;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Portal.Core.Features.Changes;
using Portal.Web.Features.Changes;

namespace Portal.Web.Tests.Components;

/// <summary>The "since vN" line of a chunks version, on real versions in SQLite.</summary>
public sealed class ChangeSummaryLineTests : BunitContext, IAsyncLifetime, IClassFixture<SqliteApp>
{
    private readonly SqliteApp _app;
    private readonly AsyncServiceScope _scope;

    public ChangeSummaryLineTests(SqliteApp app)
    {
        _app = app;
        _scope = app.Services.CreateAsyncScope();
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddSingleton(_scope.ServiceProvider.GetRequiredService<ChangeFeed>());
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _scope.DisposeAsync();
    }

    [SkippableFact]
    public async Task It_counts_the_rows_added_changed_and_removed_since_the_previous_version_and_links_the_feed()
    {
        _app.SkipIfUnavailable();
        var user = await _app.Data.CreateUserAsync("chunks");
        var project = await _app.Data.CreateProjectAsync(user);
        var v0 = await TestArtifacts.PublishAsync(_app.Services, user.Principal, project.Slug, "chunks", "chunks", null, "",
            ("c.jsonl", "{\"id\":1,\"text\":\"a\"}\n{\"id\":2,\"text\":\"b\"}\n{\"id\":3,\"text\":\"c\"}\n"));
        var v1 = await TestArtifacts.PublishAsync(_app.Services, user.Principal, project.Slug, "chunks", "chunks", null, "",
            ("c.jsonl", "{\"id\":1,\"text\":\"A\"}\n{\"id\":3,\"text\":\"c\"}\n{\"id\":4,\"text\":\"d\"}\n{\"id\":5,\"text\":\"e\"}\n"));

        var cut = Render<ChangeSummaryLine>(p => p
            .Add(x => x.Slug, project.Slug).Add(x => x.VersionId, v1.Id).Add(x => x.PreviousVersionId, v0.Id).Add(x => x.PreviousVersion, "v0")
            .AddCascadingValue(Task.FromResult(new AuthenticationState(user.Principal))));

        cut.WaitForAssertion(() => Assert.Equal("since v0: 2 added, 1 changed, 1 removed rows",
            string.Join(' ', cut.Find("[data-testid=change-summary-text]").TextContent.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries))));
        Assert.Equal($"/api/v1/projects/{project.Slug}/changes?from={v0.Id}&to={v1.Id}&rows=false", cut.Find("[data-testid=change-feed-link]").GetAttribute("href"));
    }
}
