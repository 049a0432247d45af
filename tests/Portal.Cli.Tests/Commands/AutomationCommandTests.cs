using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Automations;
using Portal.Core.Features.Webhooks;

namespace Portal.Cli.Tests.Commands;

[Collection(CliCollection.Name)]
public sealed class AutomationCommandTests(CliApp app)
{
    [Fact]
    public async Task Add_list_show_runs_and_remove_rules_of_a_project_and_a_collection()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        var collection = TestData.UniqueSlug("auto");
        using (var sdk = app.Sdk(team.Admin.Token))
            await sdk.CreateRegistryCollectionAsync(new CreateRegistryCollectionRequest(collection, "index", "Retriever", "# Retriever", [], null));
        using var admin = new CliSession(app, team.Admin.Token);

        var id = (await admin.OkAsync("automation", "add", "compare datasets", "--on", "version.committed", "--do", "compare", "--type", "dataset", "-p", team.Slug)).Trim();
        Assert.True(Guid.TryParse(id, out _), id);
        var linkedRule = (await admin.OkAsync("automation", "add", "compare links", "--on", "version.linked", "--do", "compare", "--collection", collection)).Trim();
        var bad = await admin.RunAsync("automation", "add", "x", "--on", "version.deleted", "--do", "compare", "-p", team.Slug);
        Assert.Equal(1, bad.Exit);
        Assert.EndsWith("(automation_invalid)", bad.Stderr.Trim());

        admin.Write("data/a.txt", "one\n");
        await admin.OkAsync("artifact", "put", admin.PathTo("data"), "-p", team.Slug, "-n", "corpus", "-t", "dataset");
        admin.Write("data/a.txt", "two\n");
        await admin.OkAsync("artifact", "put", admin.PathTo("data"), "-p", team.Slug, "-n", "corpus", "-t", "dataset");
        await DispatchAndRunAsync();

        var list = await admin.OkAsync("automation", "ls", "-p", team.Slug);
        Assert.Contains("compare datasets", list);
        Assert.Contains("version.committed (type dataset) → compare", list);
        Assert.Contains("succeeded corpus:v1", list);
        var runs = await admin.OkAsync("automation", "runs", id, "-p", team.Slug);
        Assert.Contains("skipped", runs);
        Assert.Contains("corpus:v0 → corpus:v1", runs);
        var runsJson = JsonDocument.Parse(await admin.OkAsync("automation", "runs", id, "-p", team.Slug, "--json", "--limit", "1"));
        Assert.Equal("succeeded", runsJson.RootElement.GetProperty("items")[0].GetProperty("outcome").GetString());

        var collectionList = await admin.OkAsync("automation", "ls", "--collection", collection);
        Assert.Contains("version.linked → compare", collectionList);

        // Members below admin read but cannot manage; a wrong id is a usage error.
        using var viewer = new CliSession(app, team.Viewer.Token);
        Assert.Contains("compare datasets", await viewer.OkAsync("automation", "ls", "-p", team.Slug));
        var refused = await viewer.RunAsync("automation", "rm", id, "-p", team.Slug);
        Assert.Equal(1, refused.Exit);
        Assert.Equal(2, (await admin.RunAsync("automation", "runs", "not-an-id", "-p", team.Slug)).Exit);

        await admin.OkAsync("automation", "rm", id, "-p", team.Slug);
        await admin.OkAsync("automation", "rm", linkedRule, "--collection", collection);
        Assert.DoesNotContain("compare datasets", await admin.OkAsync("automation", "ls", "-p", team.Slug));
        var gone = await admin.RunAsync("automation", "runs", id, "-p", team.Slug);
        Assert.EndsWith("(automation_not_found)", gone.Stderr.Trim());
    }

    private async Task DispatchAndRunAsync()
    {
        await app.WithServicesAsync(s => s.GetRequiredService<WebhookDispatcher>().ExecuteAsync(CancellationToken.None));
        var ids = await app.WithServicesAsync(async s =>
        {
            await using var db = await s.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await db.AutomationRuns.Where(r => r.Outcome == AutomationOutcome.Pending).Select(r => r.Id).ToListAsync();
        });
        foreach (var id in ids)
            await app.WithServicesAsync(s => s.GetRequiredService<AutomationRunJob>().ExecuteAsync(id, CancellationToken.None));
    }
}
