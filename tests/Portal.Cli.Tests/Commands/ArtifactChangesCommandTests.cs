using System.Text.Json;

namespace Portal.Cli.Tests.Commands;

[Collection(CliCollection.Name)]
public sealed class ArtifactChangesCommandTests(CliApp app)
{
    [Fact]
    public async Task Changes_lists_rows_added_changed_and_removed_then_a_summary()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        cli.Write("chunks/a.jsonl", "{\"id\":1,\"text\":\"one\"}\n{\"id\":2,\"text\":\"two\"}\n");
        cli.Write("chunks/b.jsonl", "{\"id\":9,\"text\":\"nine\"}\n");
        await cli.OkAsync("artifact", "put", cli.PathTo("chunks"), "-p", team.Slug, "-n", "chunks", "-t", "chunks");
        cli.Write("chunks/a.jsonl", "{\"id\":1,\"text\":\"uno\"}\n{\"id\":3,\"text\":\"three\"}\n");
        await cli.OkAsync("artifact", "put", cli.PathTo("chunks"), "-p", team.Slug, "-n", "chunks", "-t", "chunks");

        var lines = (await cli.OkAsync("artifact", "changes", "chunks:v0", "v1", "-p", team.Slug)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["C  a.jsonl:1  id=1", "A  a.jsonl:2  id=3", "D  a.jsonl:2  id=2"], lines[..3]);
        Assert.Equal("chunks:v0 -> chunks:v1: 1 added, 1 changed, 1 removed rows (0 unchanged in the files read); 2 files read, 1 skipped", lines[3]);

        var json = (await cli.OkAsync("artifact", "changes", "chunks:v0", "chunks:v1", "-p", team.Slug, "--json")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, json.Length);
        using var first = JsonDocument.Parse(json[0]);
        Assert.Equal("uno", first.RootElement.GetProperty("row").GetProperty("text").GetString());
        using var end = JsonDocument.Parse(json[^1]);
        Assert.Equal("end", end.RootElement.GetProperty("op").GetString());
    }
}
