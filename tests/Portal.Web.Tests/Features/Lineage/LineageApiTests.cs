using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Features.Runs;

namespace Portal.Web.Tests.Features.Lineage;

public abstract class LineageApiTests(PortalApp app)
{
    private static string LineageUrl(TestProject team) => $"/api/v1/projects/{team.Slug}/lineage";

    private static string V(Guid id) => $"version:{id}";

    private static string R(Guid id) => $"run:{id}";

    private async Task<(TestProject Team, HttpClient Client)> TeamAsync()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        return (team, app.ClientWithToken(team.Viewer.Token));
    }

    private Task SaveAsync(TestLineage graph) => app.WithServicesAsync(async services =>
    {
        await graph.SaveAsync(services);
        return true;
    });

    /// <summary>docs:v0 → chunk → chunks:v0 → index → index:v0 → eval → report:v0: a straight pipeline.</summary>
    private static (TestLineage Graph, Guid[] Versions, Guid[] Runs) Chain(Guid projectId)
    {
        var graph = new TestLineage(projectId);
        string[] types = ["documents", "chunks", "index", "report"];
        string[] jobs = ["data_processing", "indexing", "model_evaluation"];
        var versions = types.Select(t => graph.Version(graph.Artifact("a-" + t, t))).ToArray();
        var runs = jobs.Select(j => graph.Run("run-" + j, j)).ToArray();
        for (var i = 0; i < runs.Length; i++)
        {
            graph.Used(runs[i], versions[i]);
            graph.Produced(runs[i], versions[i + 1]);
        }

        return (graph, versions, runs);
    }

    [SkippableFact]
    public async Task The_subgraph_goes_as_many_hops_up_and_down_as_asked()
    {
        app.SkipIfUnavailable();
        var (team, client) = await TeamAsync();
        var (graph, versions, runs) = Chain(team.Project.Id);
        await SaveAsync(graph);

        // Default depths are 2 up and 2 down: from chunks:v0 that is documents (up) and index (down), not the report.
        var around = await (await client.GetAsync($"{LineageUrl(team)}/graph?focus={V(versions[1])}")).ReadOkAsync<LineageGraphResponse>();
        Assert.Equal(2, around.Up);
        Assert.Equal(2, around.Down);
        var depths = around.Nodes.ToDictionary(n => n.Id, n => n.Depth);
        Assert.Equal(new Dictionary<string, int>
        {
            [V(versions[0])] = -2, [R(runs[0])] = -1, [V(versions[1])] = 0, [R(runs[1])] = 1, [V(versions[2])] = 2,
        }, depths);
        Assert.Contains(new LineageEdgeResponse(V(versions[0]), R(runs[0]), "used"), around.Edges);
        Assert.Contains(new LineageEdgeResponse(R(runs[0]), V(versions[1]), "produced"), around.Edges);
        Assert.Contains(new LineageEdgeResponse(V(versions[1]), R(runs[1]), "used"), around.Edges);
        Assert.Contains(new LineageEdgeResponse(R(runs[1]), V(versions[2]), "produced"), around.Edges);
        Assert.Equal(4, around.Edges.Count);
        var focus = around.Nodes.Single(n => n.Id == around.FocusId);
        Assert.Equal("a-chunks:v0", focus.Label);
        Assert.Equal("chunks", focus.Version!.ArtifactType);
        Assert.Equal("committed", focus.Version.State);
        Assert.Equal("data_processing", around.Nodes.Single(n => n.Id == R(runs[0])).Run!.JobType);

        // Down only, three hops from a run; and nothing at all up.
        var down = await (await client.GetAsync($"{LineageUrl(team)}/graph?focus={R(runs[1])}&up=0&down=3")).ReadOkAsync<LineageGraphResponse>();
        Assert.Equal([R(runs[1]), V(versions[2]), R(runs[2]), V(versions[3])], down.Nodes.OrderBy(n => n.Depth).Select(n => n.Id));
        Assert.Equal([0, 1, 2, 3], down.Nodes.OrderBy(n => n.Depth).Select(n => n.Depth));

        var alone = await (await client.GetAsync($"{LineageUrl(team)}/graph?focus={V(versions[3])}&down=5")).ReadOkAsync<LineageGraphResponse>();
        Assert.Equal(-2, alone.Nodes.Min(n => n.Depth));
        Assert.Equal(0, alone.Nodes.Max(n => n.Depth));
    }

    [SkippableFact]
    public async Task The_explorer_opens_on_the_source_of_the_latest_pipeline_so_sibling_runs_show()
    {
        app.SkipIfUnavailable();
        var (team, client) = await TeamAsync();
        // upload → docs:v0; two sibling runs read docs:v0 (chunk-a → a:v0, chunk-b → b:v0); index reads b:v0 → index:v0.
        var graph = new TestLineage(team.Project.Id);
        var docs = graph.Version(graph.Artifact("docs", "documents"));
        var a = graph.Version(graph.Artifact("a", "chunks"));
        var b = graph.Version(graph.Artifact("b", "chunks"));
        var index = graph.Version(graph.Artifact("index", "index"));
        var (upload, chunkA, chunkB, indexing) = (graph.Run("upload", "data_upload"), graph.Run("chunk-a", "data_processing"),
            graph.Run("chunk-b", "data_processing"), graph.Run("index", "indexing"));
        graph.Produced(upload, docs);
        graph.Used(chunkA, docs);
        graph.Produced(chunkA, a);
        graph.Used(chunkB, docs);
        graph.Produced(chunkB, b);
        graph.Used(indexing, b);
        graph.Produced(indexing, index);
        await SaveAsync(graph);
        string[] everything = [R(upload), V(docs), R(chunkA), V(a), R(chunkB), V(b), R(indexing), V(index)];

        // From the newest run in the middle, four hops each way miss the sibling run chunk-a and what it made.
        var middle = await (await client.GetAsync($"{LineageUrl(team)}/graph?focus={R(indexing)}&up=4&down=4")).ReadOkAsync<LineageGraphResponse>();
        Assert.DoesNotContain(R(chunkA), middle.Nodes.Select(n => n.Id));

        var focus = await app.WithServicesAsync(services =>
            services.GetRequiredService<Portal.Core.Features.Lineage.LineageGraph>().DefaultFocusAsync(team.Viewer.Principal, team.Slug));
        Assert.Equal(R(upload), focus);
        // The explorer's defaults without a focus: four hops up, all the way down.
        var whole = await (await client.GetAsync($"{LineageUrl(team)}/graph?focus={focus}&up=4&down=10")).ReadOkAsync<LineageGraphResponse>();
        Assert.Equal(everything.Order(StringComparer.Ordinal), whole.Nodes.Select(n => n.Id).Order(StringComparer.Ordinal));
    }

    [SkippableFact]
    public async Task Neighbours_past_the_cap_collapse_into_clusters_that_expand()
    {
        app.SkipIfUnavailable();
        var (team, client) = await TeamAsync();
        var graph = new TestLineage(team.Project.Id);
        var docs = graph.Version(graph.Artifact("docs", "documents"));
        var chunking = graph.Run("chunk-all", "data_processing");
        graph.Used(chunking, docs);
        var chunkArtifact = graph.Artifact("chunks", "chunks");
        var chunks = Enumerable.Range(0, 40).Select(_ => graph.Version(chunkArtifact)).ToList();
        foreach (var chunk in chunks)
            graph.Produced(chunking, chunk);
        var statsArtifact = graph.Artifact("stats", "report");
        var stats = Enumerable.Range(0, 3).Select(_ => graph.Version(statsArtifact)).ToList();
        foreach (var stat in stats)
            graph.Produced(chunking, stat);
        // Thirty evaluation runs read the documents too.
        for (var i = 0; i < 30; i++)
            graph.Used(graph.Run($"eval-{i}", "model_evaluation"), docs);
        await SaveAsync(graph);

        var capped = await (await client.GetAsync($"{LineageUrl(team)}/graph?focus={V(docs)}&up=0&down=2&cap=10")).ReadOkAsync<LineageGraphResponse>();
        // Hop 1: ten of the 31 runs (newest first: evaluations), the other 21 as clusters per job type.
        var hop1 = capped.Nodes.Where(n => n.Depth == 1).ToList();
        Assert.Equal(10, hop1.Count(n => n.Kind == "run"));
        var runClusters = hop1.Where(n => n.Kind == "cluster").ToList();
        Assert.Equal(21, runClusters.Sum(c => c.Cluster!.Count));
        Assert.All(runClusters, c => Assert.Equal(V(docs), c.Cluster!.AnchorId));
        Assert.All(runClusters, c => Assert.Equal("down", c.Cluster!.Direction));
        var evalCluster = runClusters.Single(c => c.Cluster!.Type == "model_evaluation");
        Assert.Equal("+20 more model_evaluation runs", evalCluster.Label);
        Assert.Contains(new LineageEdgeResponse(V(docs), evalCluster.Id, "cluster"), capped.Edges);

        // The chunking run itself was collapsed, so nothing was walked past it.
        Assert.DoesNotContain(capped.Nodes, n => n.Id == R(chunking));
        Assert.DoesNotContain(capped.Nodes, n => n.Depth == 2 && n.Kind == "version");

        // Expanding the data_processing cluster brings the chunking run; a graph focused on the run caps its 43 outputs.
        var processing = runClusters.Single(c => c.Cluster!.Type == "data_processing").Cluster!;
        var expanded = await (await client.GetAsync($"{LineageUrl(team)}/expand?anchor={processing.AnchorId}&direction=down&type=data_processing")).ReadOkAsync<LineageGraphResponse>();
        Assert.Contains(expanded.Nodes, n => n.Id == R(chunking));
        Assert.Contains(new LineageEdgeResponse(V(docs), R(chunking), "used"), expanded.Edges);

        var outputs = await (await client.GetAsync($"{LineageUrl(team)}/graph?focus={R(chunking)}&up=0&down=1&cap=10")).ReadOkAsync<LineageGraphResponse>();
        Assert.Equal(10, outputs.Nodes.Count(n => n.Kind == "version"));
        var clusters = outputs.Nodes.Where(n => n.Kind == "cluster").ToDictionary(n => n.Cluster!.Type, n => n.Cluster!.Count);
        Assert.Equal(43 - 10, clusters.Values.Sum());
        var chunkCluster = outputs.Nodes.Single(n => n.Cluster?.Type == "chunks");
        Assert.StartsWith($"+{chunkCluster.Cluster!.Count} more chunks versions", chunkCluster.Label, StringComparison.Ordinal);

        // Expand in two pages: 15, then a cluster for the other 25.
        var page = await (await client.GetAsync($"{LineageUrl(team)}/expand?anchor={R(chunking)}&direction=down&type=chunks&limit=15")).ReadOkAsync<LineageGraphResponse>();
        Assert.Equal(15, page.Nodes.Count(n => n.Kind == "version"));
        Assert.All(page.Nodes.Where(n => n.Kind == "version"), n => Assert.Equal("chunks", n.Version!.ArtifactType));
        Assert.Equal(25, page.Nodes.Single(n => n.Kind == "cluster").Cluster!.Count);
        var all = await (await client.GetAsync($"{LineageUrl(team)}/expand?anchor={R(chunking)}&direction=down&type=chunks")).ReadOkAsync<LineageGraphResponse>();
        Assert.Equal(chunks.Select(V).Order(), all.Nodes.Where(n => n.Kind == "version").Select(n => n.Id).Order());
        Assert.DoesNotContain(all.Nodes, n => n.Kind == "cluster");
        Assert.Equal(40, all.Edges.Count(e => e.Kind == "produced" && e.Source == R(chunking)));
    }

    [SkippableFact]
    public async Task Impact_and_provenance_match_a_walk_of_a_generated_graph()
    {
        app.SkipIfUnavailable();
        var (team, client) = await TeamAsync();
        var random = new Random(6);
        var graph = new TestLineage(team.Project.Id);
        var used = new List<(Guid Run, Guid Version)>();
        var produced = new List<(Guid Run, Guid Version)>();
        string[] types = ["documents", "chunks", "index", "model"];
        var layers = new List<List<Guid>>();
        layers.Add(Enumerable.Range(0, 6).Select(i => graph.Version(graph.Artifact($"gen-source-{i}", types[0]))).ToList());
        for (var layer = 1; layer < 8; layer++)
        {
            var next = new List<Guid>();
            for (var r = 0; r < 6; r++)
            {
                var run = graph.Run($"run-{layer}-{r}", layer % 2 == 0 ? "indexing" : "data_processing");
                foreach (var input in layers.SelectMany(l => l).OrderBy(_ => random.Next()).Take(random.Next(1, 4)))
                {
                    graph.Used(run, input);
                    used.Add((run, input));
                }

                for (var o = random.Next(0, 3); o > 0; o--)
                {
                    // An artifact per version, so any two of them can carry the same alias.
                    var output = graph.Version(graph.Artifact($"gen-{layer}-{r}-{o}", types[layer % types.Length]));
                    graph.Produced(run, output);
                    produced.Add((run, output));
                    next.Add(output);
                }
            }

            layers.Add(next);
        }

        var everyVersion = layers.SelectMany(l => l).ToList();
        var aliased = everyVersion.OrderBy(_ => random.Next()).Take(5).ToList();
        graph.Alias(aliased[0], "production");
        graph.Alias(aliased[1], "production");
        graph.Alias(aliased[2], "staging");
        graph.Alias(aliased[3], "staging");
        graph.Alias(aliased[3], "production");
        graph.Alias(aliased[4], "latest");
        await SaveAsync(graph);

        // The answer by brute force, in memory, with each node's distance in edges.
        (HashSet<Guid> Versions, HashSet<Guid> Runs, Dictionary<Guid, int> Distances) Walk(Guid origin, bool down)
        {
            var versions = new HashSet<Guid> { origin };
            var runs = new HashSet<Guid>();
            var distances = new Dictionary<Guid, int> { [origin] = 0 };
            var queue = new Queue<Guid>([origin]);
            while (queue.TryDequeue(out var version))
            {
                foreach (var run in (down ? used : produced).Where(e => e.Version == version).Select(e => e.Run))
                {
                    if (!runs.Add(run))
                        continue;
                    distances[run] = distances[version] + 1;
                    foreach (var v in (down ? produced : used).Where(e => e.Run == run).Select(e => e.Version))
                    {
                        if (versions.Add(v))
                        {
                            distances[v] = distances[run] + 1;
                            queue.Enqueue(v);
                        }
                    }
                }
            }

            versions.Remove(origin);
            return (versions, runs, distances);
        }

        var checkedImpact = 0;
        foreach (var origin in everyVersion.Take(12).Concat(everyVersion.TakeLast(4)))
        {
            var expectedDown = Walk(origin, down: true);
            var impact = await (await client.GetAsync($"{LineageUrl(team)}/impact?node={V(origin)}")).ReadOkAsync<LineageWalkResponse>();
            Assert.Equal("down", impact.Direction);
            Assert.Equal(expectedDown.Versions.Count, impact.VersionCount);
            Assert.Equal(expectedDown.Runs.Count, impact.RunCount);
            Assert.Equal(expectedDown.Versions.Order(), impact.Versions.Select(v => v.Node.Version!.VersionId).Order());
            Assert.Equal(expectedDown.Runs.Order(), impact.Runs.Select(r => r.Node.Run!.RunId).Order());
            Assert.False(impact.Truncated);
            var expectedAliases = new Dictionary<string, int>();
            foreach (var (version, alias) in new[] { (aliased[0], "production"), (aliased[1], "production"), (aliased[2], "staging"), (aliased[3], "staging"), (aliased[3], "production") })
            {
                if (expectedDown.Versions.Contains(version))
                    expectedAliases[alias] = expectedAliases.GetValueOrDefault(alias) + 1;
            }

            Assert.Equal(expectedAliases.OrderBy(p => p.Key), impact.AliasCounts.OrderBy(p => p.Key));
            Assert.Equal(aliased.Take(4).Count(expectedDown.Versions.Contains), impact.AliasedVersionCount);
            Assert.All(impact.Runs, r => Assert.Equal(1, r.Distance % 2));
            Assert.All(impact.Versions, v => Assert.Equal(0, v.Distance % 2));
            Assert.All(impact.Versions, v => Assert.Equal(expectedDown.Distances[v.Node.Version!.VersionId], v.Distance));
            Assert.All(impact.Runs, r => Assert.Equal(expectedDown.Distances[r.Node.Run!.RunId], r.Distance));
            Assert.Equal(expectedDown.Distances.Values.DefaultIfEmpty(0).Max(), impact.MaxDistance);
            checkedImpact += expectedDown.Versions.Count;

            var expectedUp = Walk(origin, down: false);
            var provenance = await (await client.GetAsync($"{LineageUrl(team)}/provenance?node={V(origin)}")).ReadOkAsync<LineageWalkResponse>();
            Assert.Equal("up", provenance.Direction);
            Assert.Equal(expectedUp.Versions.Order(), provenance.Versions.Select(v => v.Node.Version!.VersionId).Order());
            Assert.Equal(expectedUp.Runs.Order(), provenance.Runs.Select(r => r.Node.Run!.RunId).Order());
            Assert.All(provenance.Versions, v => Assert.Equal(expectedUp.Distances[v.Node.Version!.VersionId], v.Distance));
            Assert.All(provenance.Runs, r => Assert.Equal(expectedUp.Distances[r.Node.Run!.RunId], r.Distance));
        }

        Assert.True(checkedImpact > 20, "The generated graph should have real downstream sets to compare.");

        // A limit lists the nearest ones and still counts them all.
        var root = everyVersion.OrderByDescending(v => Walk(v, true).Versions.Count).First();
        var full = Walk(root, true);
        var limited = await (await client.GetAsync($"{LineageUrl(team)}/impact?node={V(root)}&limit=3")).ReadOkAsync<LineageWalkResponse>();
        Assert.True(limited.Truncated);
        Assert.Equal(3, limited.Versions.Count);
        Assert.Equal(full.Versions.Count, limited.VersionCount);
        Assert.Equal(2, limited.Versions.Min(v => v.Distance));
    }

    [SkippableFact]
    public async Task A_run_walks_from_its_own_inputs_and_outputs_and_cycles_end()
    {
        app.SkipIfUnavailable();
        var (team, client) = await TeamAsync();
        var graph = new TestLineage(team.Project.Id);
        var a = graph.Artifact("loop", "dataset");
        var v0 = graph.Version(a);
        var v1 = graph.Version(a);
        var first = graph.Run("first", "data_processing");
        var second = graph.Run("second", "data_processing", RunStatus.Failed);
        graph.Used(first, v0);
        graph.Produced(first, v1);
        graph.Used(second, v1);
        // A run may record its inputs at the end, so cycles can exist: second also wrote into v0's inputs.
        graph.Used(first, v1);
        graph.Produced(second, v0);
        await SaveAsync(graph);

        var impact = await (await client.GetAsync($"{LineageUrl(team)}/impact?node={R(first)}")).ReadOkAsync<LineageWalkResponse>();
        Assert.Equal(2, impact.VersionCount);
        Assert.Equal(1, impact.RunCount);
        Assert.Equal("failed", impact.Runs.Single().Node.Run!.Status);

        var around = await (await client.GetAsync($"{LineageUrl(team)}/graph?focus={R(first)}&up=3&down=3")).ReadOkAsync<LineageGraphResponse>();
        Assert.Equal(4, around.Nodes.Count);
        Assert.Equal(5, around.Edges.Count);
    }

    [SkippableFact]
    public async Task Lineage_needs_membership_and_a_node_of_the_project()
    {
        app.SkipIfUnavailable();
        var (team, client) = await TeamAsync();
        var (graph, versions, runs) = Chain(team.Project.Id);
        await SaveAsync(graph);
        var other = await app.Data.CreateProjectWithTeamAsync();
        var (otherGraph, otherVersions, _) = Chain(other.Project.Id);
        await SaveAsync(otherGraph);

        var outsider = app.ClientWithToken(other.Viewer.Token);
        await (await outsider.GetAsync($"{LineageUrl(team)}/graph?focus={V(versions[0])}")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ProjectNotFound);
        await (await outsider.GetAsync($"{LineageUrl(team)}/impact?node={V(versions[0])}")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ProjectNotFound);
        await (await app.AnonymousClient().GetAsync($"{LineageUrl(team)}/impact?node={V(versions[0])}")).AssertProblemAsync(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);

        // A node of another project is not found here, whatever the id.
        await (await client.GetAsync($"{LineageUrl(team)}/graph?focus={V(otherVersions[0])}")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.LineageNodeNotFound);
        await (await client.GetAsync($"{LineageUrl(team)}/provenance?node={R(Guid.NewGuid())}")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.LineageNodeNotFound);
        await (await client.GetAsync($"{LineageUrl(team)}/graph?focus=dataset:{versions[0]}")).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.LineageNodeInvalid);
        await (await client.GetAsync($"{LineageUrl(team)}/graph?focus={V(versions[0])}&up=11")).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.LineageQueryInvalid);
        await (await client.GetAsync($"{LineageUrl(team)}/graph?focus={V(versions[0])}&cap=0")).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.LineageQueryInvalid);
        await (await client.GetAsync($"{LineageUrl(team)}/expand?anchor={R(runs[0])}&direction=sideways&type=chunks")).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.LineageQueryInvalid);

        // The SDK reads the same answers.
        using var sdk = new PortalClient(client);
        var impact = await sdk.GetLineageImpactAsync(team.Slug, V(versions[0]));
        Assert.Equal(3, impact.VersionCount);
        var around = await sdk.GetLineageGraphAsync(team.Slug, R(runs[0]), up: 1, down: 1);
        Assert.Equal(3, around.Nodes.Count);
    }
}

public sealed class SqliteLineageApiTests(SqliteApp app) : LineageApiTests(app), IClassFixture<SqliteApp>;

public sealed class PostgresLineageApiTests(PostgresApp app) : LineageApiTests(app), IClassFixture<PostgresApp>;
