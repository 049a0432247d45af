using System.Net.Http.Headers;
using System.Text;
using Portal.Web.Tests.Features.Artifacts;

namespace Portal.Web.Tests.Features.Evaluations;

/// <summary>The evaluations API over HTTP: the streamed NDJSON log, problems naming the line, reads, and the SDK.</summary>
public abstract class EvaluationsApiTests(PortalApp app)
{
    private static StringContent Ndjson(params string[] lines) =>
        new(string.Join("\n", lines) + "\n", Encoding.UTF8, "application/x-ndjson");

    private async Task<(TestProject Team, HttpClient Contributor, HttpClient Viewer)> SetUpAsync()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        var contributor = app.ClientWithToken(team.Contributor.Token);
        var uploads = new ArtifactUploads(contributor, team.Slug);
        await uploads.PublishAsync("retriever", [], [ArtifactUploads.Reference("model-0.bin")]);
        await uploads.PublishAsync("retriever", [], [ArtifactUploads.Reference("model-1.bin")]);
        await uploads.PublishAsync("golden", [], [ArtifactUploads.Reference("questions.jsonl")]);
        return (team, contributor, app.ClientWithToken(team.Viewer.Token));
    }

    [SkippableFact]
    public async Task An_ndjson_log_is_created_read_back_and_a_bad_line_is_a_problem_naming_it()
    {
        app.SkipIfUnavailable();
        var (team, contributor, viewer) = await SetUpAsync();
        var url = $"/api/v1/projects/{team.Slug}/evaluations";
        var created = await (await contributor.PostAsync(url, Ndjson(
                "{\"subject\":\"retriever:v0\",\"evalSet\":\"golden:latest\",\"scorers\":[\"acc\"]}",
                "{\"id\":\"b\",\"scores\":{\"acc\":0.5},\"tokens\":3}",
                "{\"id\":\"a\",\"scores\":{\"acc\":1},\"tokens\":4}")))
            .ReadOkAsync<EvaluationResponse>(HttpStatusCode.Created);
        Assert.Equal(("retriever", "v0", "golden", "v0", "golden:latest"), (created.Subject.Artifact, created.Subject.Version, created.EvalSet.Artifact, created.EvalSet.Version, created.EvalSet.Spec));
        Assert.Equal((2L, 0.75, 7L), (created.ExampleCount, created.Scores[0].Mean!.Value, created.TotalTokens));

        var read = await (await viewer.GetAsync($"{url}/{created.Id}")).ReadOkAsync<EvaluationResponse>();
        Assert.Equal(created, read with { Scores = created.Scores });
        var rows = await viewer.GetAsync($"{url}/{created.Id}/rows");
        Assert.Equal("application/x-ndjson", rows.Content.Headers.ContentType?.MediaType);
        Assert.Equal("{\"id\":\"a\",\"scores\":{\"acc\":1},\"tokens\":4}\n{\"id\":\"b\",\"scores\":{\"acc\":0.5},\"tokens\":3}\n", await rows.Content.ReadAsStringAsync());
        var listed = await (await viewer.GetAsync($"{url}?subject=retriever")).ReadOkAsync<List<EvaluationResponse>>();
        Assert.Equal(created.Id, Assert.Single(listed).Id);

        var problem = await (await contributor.PostAsync(url, Ndjson(
                "{\"subject\":\"retriever:v0\",\"evalSet\":\"golden:v0\",\"scorers\":[\"acc\"]}",
                "{\"id\":\"a\",\"scores\":{\"acc\":1}}",
                "{\"id\":\"b\",\"scores\":{\"acc\":null}}")))
            .AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.EvaluationMalformed);
        Assert.Equal(3, problem.GetProperty("line").GetInt32());
        Assert.Contains("line 3", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var json = await contributor.PostAsJsonAsync(url, new { subject = "retriever:v0" });
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        await (await viewer.GetAsync($"{url}/{Guid.NewGuid()}")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.EvaluationNotFound);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync(url, Ndjson("{}"))).StatusCode);
    }

    [SkippableFact]
    public async Task The_sdk_streams_rows_and_reads_the_matrix_the_comparison_and_the_attribution()
    {
        app.SkipIfUnavailable();
        var (team, _, _) = await SetUpAsync();
        using var sdk = new PortalClient(app.ClientWithToken(team.Contributor.Token));
        static async IAsyncEnumerable<EvaluationRow> Rows(int count, Func<int, double> score)
        {
            for (var i = 0; i < count; i++)
            {
                await Task.Yield();
                yield return new EvaluationRow($"ex-{i:D5}", new Dictionary<string, double> { ["acc"] = score(i) }, LatencyMs: i, Output: i % 2 == 0 ? "even" : null);
            }
        }
        var before = await sdk.LogEvaluationAsync(team.Slug, new EvaluationHeader("retriever:v0", "golden:v0", ["acc"]), Rows(5000, i => i % 2));
        var after = await sdk.LogEvaluationAsync(team.Slug, new EvaluationHeader("retriever:v1", "golden:v0", ["acc"], "nightly"), Rows(5000, i => i < 100 ? 0 : 1));
        Assert.Equal((5000L, 0.5, 0.98), (before.ExampleCount, before.Scores[0].Mean!.Value, after.Scores[0].Mean!.Value));
        Assert.Equal((2499.0, 4749.0), (before.LatencyP50Ms!.Value, before.LatencyP95Ms!.Value));

        var examples = await sdk.CompareEvaluationExamplesAsync(team.Slug, before.Id, after.Id, limit: 3);
        Assert.Equal((50L, 2450L, 2500L), (examples.WorseCount, examples.BetterCount, examples.UnchangedCount));
        Assert.Equal(["ex-00001", "ex-00003", "ex-00005"], examples.Worse.Select(w => w.Id));

        var attribution = await sdk.AttributeEvaluationChangeAsync(team.Slug, before.Id, after.Id);
        Assert.Equal((0.48, 0.48, 0.0), (Math.Round(attribution.Total, 10), Math.Round(attribution.SubjectPart!.Value, 10), attribution.DataPart!.Value));

        var matrix = await sdk.GetEvaluationMatrixAsync(team.Slug, "retriever");
        Assert.Equal(["v0", "v1"], matrix.Rows.Select(r => r.Version));
        Assert.Equal(0.48, matrix.Rows[1].Cells[0]!.Delta!.Value, 10);

        var rows = new List<EvaluationRow>();
        await foreach (var row in sdk.GetEvaluationRowsAsync(team.Slug, after.Id))
            rows.Add(row);
        Assert.Equal(5000, rows.Count);
        Assert.Equal(("ex-00000", 0.0, "even"), (rows[0].Id, rows[0].Scores["acc"], rows[0].Output));

        var listed = await sdk.ListEvaluationsAsync(team.Slug, evalSet: "golden", limit: 1);
        Assert.Equal(after.Id, Assert.Single(listed).Id);
        var error = await Assert.ThrowsAsync<PortalApiException>(() => sdk.GetEvaluationMatrixAsync(team.Slug, "retriever", "bleu"));
        Assert.Equal(ErrorCodes.MetricNotFound, error.Code);
    }
}

public sealed class EvaluationsApiTests_Sqlite(SqliteApp app) : EvaluationsApiTests(app), IClassFixture<SqliteApp>;

public sealed class EvaluationsApiTests_Postgres(PostgresApp app) : EvaluationsApiTests(app), IClassFixture<PostgresApp>;

public sealed class EvaluationsApiTests_SqlServer(SqlServerApp app) : EvaluationsApiTests(app), IClassFixture<SqlServerApp>;
