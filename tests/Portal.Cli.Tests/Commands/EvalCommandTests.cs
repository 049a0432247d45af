namespace Portal.Cli.Tests.Commands;

[Collection(CliCollection.Name)]
public sealed class EvalCommandTests(CliApp app)
{
    [Fact]
    public async Task Eval_log_reads_an_ndjson_file_and_compare_prints_the_change_and_the_examples()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var contributor = new CliSession(app, team.Contributor.Token);
        contributor.Write("index/a.bin", "first\n");
        await contributor.OkAsync("artifact", "put", contributor.PathTo("index"), "-p", team.Slug, "-n", "index", "-t", "index");
        contributor.Write("index/a.bin", "second\n");
        await contributor.OkAsync("artifact", "put", contributor.PathTo("index"), "-p", team.Slug, "-n", "index", "-t", "index");
        contributor.Write("golden/q.jsonl", "{\"q\":1}\n");
        await contributor.OkAsync("artifact", "put", contributor.PathTo("golden"), "-p", team.Slug, "-n", "golden", "-t", "eval", "--alias", "production");

        // A byte-order mark and CRLF line ends, as some editors save files.
        contributor.Write("before.ndjson", "\uFEFF{\"id\":\"q-1\",\"scores\":{\"recall@5\":1,\"mrr\":0.5},\"latencyMs\":100,\"tokens\":7}\r\n{\"id\":\"q-2\",\"scores\":{\"recall@5\":0}}\r\n");
        var logged = await contributor.OkAsync("eval", "log", contributor.PathTo("before.ndjson"), "--subject", "index:v0", "--eval-set", "golden:production", "-p", team.Slug);
        Assert.Contains("index:v0 on golden:v0, 2 examples", logged);
        Assert.Contains("recall@5", logged);
        Assert.Contains("0.5", logged);
        Assert.Contains("latency p50 100 ms", logged);
        var before = Guid.Parse(logged.Split(' ')[1].TrimEnd(':'));

        contributor.Write("after.ndjson", "{\"id\":\"q-1\",\"scores\":{\"recall@5\":0,\"mrr\":0}}\n{\"id\":\"q-2\",\"scores\":{\"recall@5\":1}}\n{\"id\":\"q-3\",\"scores\":{\"recall@5\":1}}\n");
        var json = await contributor.OkAsync("eval", "log", contributor.PathTo("after.ndjson"), "--subject", "index:v1", "--eval-set", "golden:v0", "--name", "nightly", "-p", team.Slug, "--json");
        var after = System.Text.Json.JsonDocument.Parse(json).RootElement;
        Assert.Equal("nightly", after.GetProperty("name").GetString());
        Assert.Equal(["recall@5", "mrr"], after.GetProperty("scores").EnumerateArray().Select(s => s.GetProperty("scorer").GetString()));

        var compared = await contributor.OkAsync("eval", "compare", before.ToString(), after.GetProperty("id").GetString()!, "--metric", "recall@5", "-p", team.Slug);
        Assert.Contains("recall@5: 0.5 (index:v0 on golden:v0) -> 0.6667 (index:v1 on golden:v0), change +0.1667", compared);
        Assert.Contains("from the subject: +0.1667; from the data: +0", compared);
        Assert.Contains("examples: 1 worse, 1 better, 0 unchanged, 0 only before, 1 only after", compared);

        contributor.Write("bad.ndjson", "{\"id\":\"q-1\",\"scores\":{\"recall@5\":1}}\n{\"id\":\"q-2\",\"scores\":{\"recall@5\":\"yes\"}}\n");
        var bad = await contributor.RunAsync("eval", "log", contributor.PathTo("bad.ndjson"), "--subject", "index:v1", "--eval-set", "golden:v0", "--scorer", "recall@5", "-p", team.Slug);
        Assert.Equal(1, bad.Exit);
        Assert.Contains("Evaluation line 3", bad.Stderr);
        Assert.EndsWith("(evaluation_malformed)", bad.Stderr.Trim());
    }
}
