using System.Text.Json;

namespace Portal.Cli.Tests.Commands;

[Collection(CliCollection.Name)]
public sealed class RegistryCommandTests(CliApp app)
{
    [Fact]
    public async Task Link_a_project_version_into_a_collection_then_list_and_show_it()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        var collection = TestData.UniqueSlug("reg");
        using (var admin = app.Sdk(team.Admin.Token))
        {
            await admin.CreateRegistryCollectionAsync(new CreateRegistryCollectionRequest(collection, "index", "Retriever", "# Retriever", ["licence"],
                new Dictionary<string, string> { ["licence"] = "MIT" }));
            await admin.AddProjectMemberAsync(collection, new AddProjectMemberRequest(team.Contributor.Email, "Contributor"));
        }
        using var contributor = new CliSession(app, team.Contributor.Token);
        contributor.Write("idx/shard-0.bin", "vectors\n");
        await contributor.OkAsync("artifact", "put", contributor.PathTo("idx"), "-p", team.Slug, "-n", "index", "-t", "index");

        var linked = await contributor.OkAsync("registry", "link", "index:v0", collection, "-p", team.Slug, "-m", "signed off");
        Assert.Equal($"{collection}:v0", linked.Trim());
        var again = await contributor.RunAsync("registry", "link", "index:v0", collection, "-p", team.Slug);
        Assert.Equal(1, again.Exit);
        Assert.EndsWith("(registry_already_linked)", again.Stderr.Trim());
        var badSpec = await contributor.RunAsync("registry", "link", "index", collection, "-p", team.Slug);
        Assert.Equal(2, badSpec.Exit);

        var list = await contributor.OkAsync("registry", "ls", "--search", collection);
        Assert.Contains(collection, list);
        Assert.Contains("latest=v0", list);
        var show = await contributor.OkAsync("registry", "show", collection);
        Assert.Contains("licence: MIT", show);
        Assert.Contains($"{team.Slug}/index:v0", show);

        // Someone who cannot read the source project sees the version, not where it came from.
        var outsider = await app.Data.CreateUserAsync("outsider");
        using var stranger = new CliSession(app, outsider.Token);
        var redacted = await stranger.OkAsync("registry", "show", collection);
        Assert.Contains("(no access)", redacted);
        Assert.DoesNotContain(team.Slug, redacted);
        var json = JsonDocument.Parse(await stranger.OkAsync("registry", "ls", "--search", collection, "--json"));
        Assert.Equal("Viewer", json.RootElement[0].GetProperty("role").GetString());
    }
}
