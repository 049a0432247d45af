using Portal.Web.Features.Lineage;

namespace Portal.Web.Tests.Components;

public class LineageComponentsTests
{
    private static LineageWalkResponse Impact(int versions, int runs, Dictionary<string, int> aliases, int aliased) =>
        new("version:" + Guid.NewGuid(), "down", versions, runs, aliased, aliases, 4, [], [], false);

    [Fact]
    public void The_impact_sentence_counts_what_is_downstream_and_what_is_behind_each_alias()
    {
        Assert.Equal("3 downstream versions and 2 runs; 1 in production.",
            LineageTable.ImpactSentence(Impact(3, 2, new() { ["production"] = 1 }, 1)));
        Assert.Equal("4 downstream versions and 1 run; 2 in staging, 1 in production.",
            LineageTable.ImpactSentence(Impact(4, 1, new() { ["production"] = 1, ["staging"] = 2 }, 2)));
        Assert.Equal("1 downstream version and 1 run; none behind a custom alias.",
            LineageTable.ImpactSentence(Impact(1, 1, [], 0)));
        Assert.Equal("0 downstream versions and 0 runs.", LineageTable.ImpactSentence(Impact(0, 0, [], 0)));
    }

    [Fact]
    public void Nodes_link_to_their_own_pages()
    {
        var versionId = Guid.NewGuid();
        var version = new LineageNodeResponse("version:" + versionId, "version", "docs:v3", 0,
            Version: new(versionId, "docs", "documents", 3, "committed", [], true, "missing", DateTimeOffset.UnixEpoch, 1, 1));
        var runId = Guid.NewGuid();
        var run = new LineageNodeResponse("run:" + runId, "run", "chunk", 1, Run: new(runId, "chunk", "data_processing", "finished", DateTimeOffset.UnixEpoch, null));
        var cluster = new LineageNodeResponse("cluster:x", "cluster", "+3 more", 1, Cluster: new("run:" + runId, "down", "version", "chunks", 3));
        Assert.Equal("/projects/rag/artifacts/docs/v3", LineageLinks.Page("rag", version));
        Assert.Equal($"/projects/rag/runs/{runId}", LineageLinks.Page("rag", run));
        Assert.Null(LineageLinks.Page("rag", cluster));
        Assert.Equal("artifact:chunks", LineageLinks.FilterKey(cluster));
        Assert.Equal("job:data_processing", LineageLinks.FilterKey(run));
    }
}
