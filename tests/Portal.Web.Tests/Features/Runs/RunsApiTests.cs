using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Lineage;
using Portal.Core.Features.Runs;

namespace Portal.Web.Tests.Features.Runs;

public abstract class RunsApiTests(PortalApp app)
{
    private static string RunsUrl(TestProject team) => $"/api/v1/projects/{team.Slug}/runs";

    private static JsonElement Json(object value) => JsonSerializer.SerializeToElement(value, HttpAssertions.Json);

    private static async Task<RunResponse> CreateRunAsync(HttpClient client, TestProject team, CreateRunRequest request) =>
        await (await client.PostJsonAsync(RunsUrl(team), request)).ReadOkAsync<RunResponse>(HttpStatusCode.Created);

    private static Task<HttpResponseMessage> PostRawAsync(HttpClient client, string url, string json) =>
        client.PostAsync(url, new StringContent(json, Encoding.UTF8, "application/json"));

    private Task<T> WithDbAsync<T>(Func<PortalDbContext, Task<T>> action) =>
        app.WithServicesAsync(async services =>
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await action(db);
        });

    /// <summary>A committed v0 of a new artifact, written directly: the artifact upload API is a separate feature.</summary>
    private Task<Guid> CreateVersionAsync(Guid projectId, VersionState state = VersionState.Committed) =>
        WithDbAsync(async db =>
        {
            var now = DateTimeOffset.UtcNow;
            var artifact = new Artifact { Id = Guid.NewGuid(), ProjectId = projectId, Name = "kb-" + Guid.NewGuid().ToString("N")[..8], Type = "documents", CreatedAt = now, NextVersionIndex = 1 };
            var version = new ArtifactVersion
            {
                Id = Guid.NewGuid(),
                ArtifactId = artifact.Id,
                Index = state == VersionState.Committed ? 0 : null,
                ManifestDigest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(artifact.Id.ToByteArray())),
                State = state,
                CreatedAt = now,
                CommittedAt = state == VersionState.Committed ? now : null,
            };
            db.Artifacts.Add(artifact);
            db.ArtifactVersions.Add(version);
            await db.SaveChangesAsync();
            return version.Id;
        });

    [SkippableFact]
    public async Task A_contributor_starts_a_run_with_defaults_and_reads_its_detail()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var created = await CreateRunAsync(client, team, new CreateRunRequest("model_training", Config: Json(new { lr = 0.001, layers = new[] { 64, 32 } })));
        Assert.Equal($"run-{created.Id:N}"[..12], created.Name);
        Assert.Equal("running", created.Status);
        Assert.Equal(0.001, created.Config!.Value.GetProperty("lr").GetDouble());
        Assert.Equal(JsonValueKind.Object, created.Summary.ValueKind);
        Assert.Null(created.FinishedAt);
        Assert.True((DateTimeOffset.UtcNow - created.StartedAt).Duration() < TimeSpan.FromMinutes(5));

        var detail = await (await client.GetAsync($"{RunsUrl(team)}/{created.Id}")).ReadOkAsync<RunResponse>();
        Assert.Equal(created.Id, detail.Id);
        Assert.Equal("model_training", detail.JobType);
        Assert.Equal(2, detail.Config!.Value.GetProperty("layers").GetArrayLength());
        Assert.Equal(team.Contributor.Email, detail.CreatedBy!.Email);
        Assert.Equal(team.Contributor.Id, detail.CreatedBy.Id);
        Assert.True(detail.DurationSeconds >= 0);
    }

    [SkippableFact]
    public async Task A_run_keeps_every_field_it_was_started_with()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var started = new DateTimeOffset(2026, 3, 3, 14, 0, 0, TimeSpan.FromHours(2));
        var created = await CreateRunAsync(app.ClientWithToken(team.Admin.Token), team, new CreateRunRequest(
            "indexing", "nightly index", Json(new { }), "abc123", "git@example.com:ml/p.git", "gpu-01", started));
        var detail = await (await app.ClientWithToken(team.Viewer.Token).GetAsync($"{RunsUrl(team)}/{created.Id}")).ReadOkAsync<RunResponse>();
        Assert.Equal("nightly index", detail.Name);
        Assert.Equal("abc123", detail.GitCommit);
        Assert.Equal("git@example.com:ml/p.git", detail.GitRemote);
        Assert.Equal("gpu-01", detail.Host);
        Assert.Equal(started, detail.StartedAt);
        Assert.True(detail.DurationSeconds > 0);
    }

    [SkippableTheory]
    [InlineData("")]
    [InlineData("Model_Training")]
    [InlineData("model training")]
    [InlineData("model-training")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task Invalid_job_types_are_refused(string jobType)
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var response = await app.ClientWithToken(team.Contributor.Token).PostJsonAsync(RunsUrl(team), new CreateRunRequest(jobType));
        await response.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.JobTypeInvalid);
    }

    [SkippableTheory]
    [InlineData("[1, 2]")]
    [InlineData("\"lr=0.1\"")]
    [InlineData("42")]
    [InlineData("true")]
    public async Task A_config_that_is_not_an_object_is_refused(string config)
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var response = await PostRawAsync(app.ClientWithToken(team.Contributor.Token), RunsUrl(team), $"{{\"jobType\": \"indexing\", \"config\": {config}}}");
        await response.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.RunInvalid);
    }

    [SkippableFact]
    public async Task Oversized_or_malformed_run_requests_are_refused()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var big = await client.PostJsonAsync(RunsUrl(team), new CreateRunRequest("indexing", Config: Json(new { blob = new string('x', RunJson.MaxBytes) })));
        await big.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.RunInvalid);
        var longName = await client.PostJsonAsync(RunsUrl(team), new CreateRunRequest("indexing", new string('n', 201)));
        await longName.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.RunInvalid);
        var malformed = await PostRawAsync(client, RunsUrl(team), "{\"jobType\": ");
        await malformed.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
    }

    [SkippableFact]
    public async Task The_list_pages_with_a_continuation_token_newest_first()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
            ids.Add((await CreateRunAsync(client, team, new CreateRunRequest("indexing", $"r{i}", StartedAt: t0.AddHours(i)))).Id);
        // Two runs started at the same instant are still paged exactly once each (the id breaks the tie).
        ids.Add((await CreateRunAsync(client, team, new CreateRunRequest("indexing", "tie", StartedAt: t0.AddHours(2)))).Id);

        var seen = new List<RunResponse>();
        string? token = null;
        var pages = 0;
        do
        {
            var url = $"{RunsUrl(team)}?limit=2" + (token is null ? "" : $"&continuationToken={Uri.EscapeDataString(token)}");
            var page = await (await app.ClientWithToken(team.Viewer.Token).GetAsync(url)).ReadOkAsync<PagedResponse<RunResponse>>();
            Assert.Equal(6, page.Total);
            Assert.True(page.Items.Count <= 2);
            Assert.All(page.Items, r => Assert.Null(r.Config));
            seen.AddRange(page.Items);
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null);

        Assert.Equal(3, pages);
        Assert.Equal(ids.OrderBy(i => i), seen.Select(r => r.Id).OrderBy(i => i));
        Assert.Equal(seen.Select(r => r.StartedAt).OrderByDescending(s => s), seen.Select(r => r.StartedAt));
        Assert.Equal("r4", seen[0].Name);

        var ascending = await (await client.GetAsync($"{RunsUrl(team)}?sort=startedAt&limit=200")).ReadOkAsync<PagedResponse<RunResponse>>();
        Assert.Equal("r0", ascending.Items[0].Name);
        Assert.Null(ascending.ContinuationToken);
        var firstAsc = await (await client.GetAsync($"{RunsUrl(team)}?sort=startedAt&limit=3")).ReadOkAsync<PagedResponse<RunResponse>>();
        var restAsc = await (await client.GetAsync($"{RunsUrl(team)}?sort=startedAt&limit=3&continuationToken={Uri.EscapeDataString(firstAsc.ContinuationToken!)}"))
            .ReadOkAsync<PagedResponse<RunResponse>>();
        Assert.Equal(ascending.Items.Select(r => r.Id), firstAsc.Items.Concat(restAsc.Items).Select(r => r.Id));
    }

    [SkippableFact]
    public async Task The_list_filters_by_job_type_status_creator_and_dates()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var contributor = app.ClientWithToken(team.Contributor.Token);
        var admin = app.ClientWithToken(team.Admin.Token);
        var t0 = new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero);
        var training = await CreateRunAsync(contributor, team, new CreateRunRequest("model_training", StartedAt: t0));
        var eval = await CreateRunAsync(contributor, team, new CreateRunRequest("model_evaluation", StartedAt: t0.AddDays(1)));
        var indexing = await CreateRunAsync(admin, team, new CreateRunRequest("indexing", StartedAt: t0.AddDays(2)));
        (await contributor.PostJsonAsync($"{RunsUrl(team)}/{eval.Id}/finish", new FinishRunRequest("failed"))).EnsureSuccessStatusCode();

        async Task<List<Guid>> Ids(string query) =>
            (await (await contributor.GetAsync($"{RunsUrl(team)}?{query}")).ReadOkAsync<PagedResponse<RunResponse>>()).Items.Select(r => r.Id).ToList();

        Assert.Equal([training.Id], await Ids("jobType=model_training"));
        Assert.Equal([eval.Id], await Ids("status=failed"));
        Assert.Equal([indexing.Id, training.Id], await Ids("status=Running"));
        Assert.Equal([indexing.Id], await Ids($"createdBy={team.Admin.Id}"));
        Assert.Equal([eval.Id, training.Id], await Ids($"createdBy={Uri.EscapeDataString(team.Contributor.Email.ToUpperInvariant())}"));
        Assert.Equal([eval.Id], await Ids($"from={Uri.EscapeDataString(t0.AddDays(1).ToString("O"))}&to={Uri.EscapeDataString(t0.AddDays(2).ToString("O"))}"));
        Assert.Empty(await Ids("jobType=data_upload"));
        var page = await (await contributor.GetAsync($"{RunsUrl(team)}?jobType=indexing")).ReadOkAsync<PagedResponse<RunResponse>>();
        Assert.Equal(1, page.Total);
        Assert.Equal(team.Admin.Email, page.Items[0].CreatedBy!.Email);
    }

    [SkippableFact]
    public async Task A_run_stopped_by_a_signal_is_finished_as_killed_and_listed_by_that_status()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var killed = await CreateRunAsync(client, team, new CreateRunRequest("model_training"));
        await CreateRunAsync(client, team, new CreateRunRequest("model_training"));

        var finished = await (await client.PostJsonAsync($"{RunsUrl(team)}/{killed.Id}/finish", new FinishRunRequest("killed"))).ReadOkAsync<RunResponse>();

        Assert.Equal("killed", finished.Status);
        var listed = await (await client.GetAsync($"{RunsUrl(team)}?status=killed")).ReadOkAsync<PagedResponse<RunResponse>>();
        Assert.Equal([killed.Id], listed.Items.Select(r => r.Id));
    }

    [SkippableFact]
    public async Task Bad_list_parameters_are_refused_with_codes()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Viewer.Token);
        await (await client.GetAsync($"{RunsUrl(team)}?limit=201")).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        await (await client.GetAsync($"{RunsUrl(team)}?limit=0")).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        await (await client.GetAsync($"{RunsUrl(team)}?sort=name")).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        await (await client.GetAsync($"{RunsUrl(team)}?status=done")).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.RunStatusInvalid);
        await (await client.GetAsync($"{RunsUrl(team)}?continuationToken=not-a-token")).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ContinuationInvalid);
        await (await client.GetAsync($"{RunsUrl(team)}?from=yesterday")).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
    }

    [SkippableFact]
    public async Task Patch_replaces_the_given_top_level_keys_and_removes_nulls()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var run = await CreateRunAsync(client, team, new CreateRunRequest("model_training",
            Config: Json(new { lr = 0.1, optimizer = new { name = "adam", beta1 = 0.9 }, seed = 7 })));
        var patch = await client.PatchAsJsonAsync($"{RunsUrl(team)}/{run.Id}",
            new UpdateRunRequest(Json(new Dictionary<string, object?> { ["lr"] = 0.05, ["optimizer"] = new { name = "sgd" }, ["seed"] = null }), Json(new { best_loss = 0.3 })),
            HttpAssertions.Json);
        var updated = await patch.ReadOkAsync<RunResponse>();
        var config = updated.Config!.Value;
        Assert.Equal(0.05, config.GetProperty("lr").GetDouble());
        Assert.Equal("sgd", config.GetProperty("optimizer").GetProperty("name").GetString());
        Assert.False(config.GetProperty("optimizer").TryGetProperty("beta1", out _));
        Assert.False(config.TryGetProperty("seed", out _));
        Assert.Equal(0.3, updated.Summary.GetProperty("best_loss").GetDouble());

        var summaryOnly = await (await client.PatchAsJsonAsync($"{RunsUrl(team)}/{run.Id}", new UpdateRunRequest(Summary: Json(new { epochs = 3 })), HttpAssertions.Json))
            .ReadOkAsync<RunResponse>();
        Assert.Equal(0.3, summaryOnly.Summary.GetProperty("best_loss").GetDouble());
        Assert.Equal(3, summaryOnly.Summary.GetProperty("epochs").GetInt32());
        Assert.Equal(0.05, summaryOnly.Config!.Value.GetProperty("lr").GetDouble());

        var nothing = await client.PatchAsJsonAsync($"{RunsUrl(team)}/{run.Id}", new UpdateRunRequest(), HttpAssertions.Json);
        await nothing.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.RunInvalid);
        var array = await client.PatchAsync($"{RunsUrl(team)}/{run.Id}", new StringContent("{\"summary\": [1]}", Encoding.UTF8, "application/json"));
        await array.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.RunInvalid);

        (await client.PostJsonAsync($"{RunsUrl(team)}/{run.Id}/finish", new FinishRunRequest("finished"))).EnsureSuccessStatusCode();
        var late = await client.PatchAsJsonAsync($"{RunsUrl(team)}/{run.Id}", new UpdateRunRequest(Summary: Json(new { epochs = 4 })), HttpAssertions.Json);
        await late.AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.RunFinished);
    }

    [SkippableFact]
    public async Task Metric_batches_build_a_step_ordered_history_and_the_summary_keeps_last_values()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var run = await CreateRunAsync(client, team, new CreateRunRequest("model_evaluation"));
        var url = $"{RunsUrl(team)}/{run.Id}/metrics";
        var at = new DateTimeOffset(2026, 4, 1, 12, 0, 0, TimeSpan.Zero);
        List<MetricPointRequest> first =
        [
            new("eval/recall_5", 2, 0.70, at.AddSeconds(2)),
            new("eval/recall_5", 0, 0.50, at),
            new("eval/recall_5", 1, 0.60, at.AddSeconds(1)),
            new("latency_ms", 0, 210),
        ];
        var logged = await (await client.PostJsonAsync(url, first)).ReadOkAsync<LogMetricsResponse>();
        Assert.Equal(4, logged.Logged);
        Assert.Equal(0.70, logged.Summary.GetProperty("eval/recall_5").GetDouble());
        Assert.Equal(210, logged.Summary.GetProperty("latency_ms").GetDouble());

        (await client.PostJsonAsync(url, new List<MetricPointRequest> { new("eval/recall_5", 3, 0.75), new("latency_ms", 1, 190) })).EnsureSuccessStatusCode();
        // A retried older batch lands in the history but does not roll the summary back.
        (await client.PostJsonAsync(url, new List<MetricPointRequest> { new("eval/recall_5", 1, 0.61) })).EnsureSuccessStatusCode();

        var history = await (await app.ClientWithToken(team.Viewer.Token).GetAsync($"{url}?key=eval/recall_5&key=latency_ms&key=missing"))
            .ReadOkAsync<List<MetricHistoryResponse>>();
        Assert.Equal(["eval/recall_5", "latency_ms", "missing"], history.Select(h => h.Key));
        Assert.Equal([0L, 1, 1, 2, 3], history[0].Points.Select(p => p.Step));
        Assert.Equal([0.50, 0.60, 0.61, 0.70, 0.75], history[0].Points.Select(p => p.Value));
        Assert.Equal(at.AddSeconds(2), history[0].Points[3].Timestamp);
        Assert.Equal([210.0, 190], history[1].Points.Select(p => p.Value));
        Assert.Empty(history[2].Points);

        var keys = await (await client.GetAsync($"{url}/keys")).ReadOkAsync<List<string>>();
        Assert.Equal(["eval/recall_5", "latency_ms"], keys);
        var detail = await (await client.GetAsync($"{RunsUrl(team)}/{run.Id}")).ReadOkAsync<RunResponse>();
        Assert.Equal(0.75, detail.Summary.GetProperty("eval/recall_5").GetDouble());
        Assert.Equal(190, detail.Summary.GetProperty("latency_ms").GetDouble());

        var noKey = await client.GetAsync(url);
        await noKey.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.MetricInvalid);
    }

    [SkippableFact]
    public async Task A_batch_of_ten_thousand_points_is_accepted_and_one_more_is_refused()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var run = await CreateRunAsync(client, team, new CreateRunRequest("model_training"));
        var url = $"{RunsUrl(team)}/{run.Id}/metrics";
        var tooMany = Enumerable.Range(0, RunMetrics.MaxBatch + 1).Select(i => new MetricPointRequest("loss", i, 1.0 / (i + 1))).ToList();
        var refused = await client.PostJsonAsync(url, tooMany);
        await refused.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.MetricInvalid);

        var logged = await (await client.PostJsonAsync(url, tooMany.Take(RunMetrics.MaxBatch).ToList())).ReadOkAsync<LogMetricsResponse>();
        Assert.Equal(RunMetrics.MaxBatch, logged.Logged);
        Assert.Equal(1.0 / RunMetrics.MaxBatch, logged.Summary.GetProperty("loss").GetDouble());
    }

    [SkippableTheory]
    [InlineData("[]")]
    [InlineData("[null]")]
    [InlineData("[{\"key\": \"loss\", \"step\": 0, \"value\": \"NaN\"}]")]
    [InlineData("[{\"key\": \"loss\", \"step\": 0, \"value\": \"-Infinity\"}]")]
    [InlineData("[{\"key\": \"loss\", \"step\": -1, \"value\": 1}]")]
    [InlineData("[{\"key\": \"recall@5\", \"step\": 0, \"value\": 1}]")]
    [InlineData("[{\"key\": \"\", \"step\": 0, \"value\": 1}]")]
    [InlineData("[{\"step\": 0, \"value\": 1}]")]
    public async Task Invalid_metric_points_are_refused_and_nothing_is_logged(string body)
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var run = await CreateRunAsync(client, team, new CreateRunRequest("model_training"));
        var url = $"{RunsUrl(team)}/{run.Id}/metrics";
        var withGoodFirst = body == "[]" ? body : "[{\"key\": \"ok\", \"step\": 0, \"value\": 1}, " + body[1..];
        var response = await PostRawAsync(client, url, withGoodFirst);
        await response.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.MetricInvalid);
        Assert.Empty(await (await client.GetAsync($"{url}/keys")).ReadOkAsync<List<string>>());
    }

    [SkippableFact]
    public async Task A_bare_NaN_token_is_not_json_and_is_a_400()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var run = await CreateRunAsync(client, team, new CreateRunRequest("model_training"));
        var response = await PostRawAsync(client, $"{RunsUrl(team)}/{run.Id}/metrics", "[{\"key\": \"loss\", \"step\": 0, \"value\": NaN}]");
        await response.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
    }

    [SkippableFact]
    public async Task Finishing_twice_with_the_same_status_is_idempotent_and_a_different_status_conflicts()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var run = await CreateRunAsync(client, team, new CreateRunRequest("data_processing", StartedAt: DateTimeOffset.UtcNow.AddMinutes(-10)));
        var finishUrl = $"{RunsUrl(team)}/{run.Id}/finish";

        var running = await client.PostJsonAsync(finishUrl, new FinishRunRequest("running"));
        await running.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.RunStatusInvalid);
        var finished = await (await client.PostJsonAsync(finishUrl, new FinishRunRequest("finished", Json(new { rows = 1000 })))).ReadOkAsync<RunResponse>();
        Assert.Equal("finished", finished.Status);
        Assert.NotNull(finished.FinishedAt);
        Assert.Equal(1000, finished.Summary.GetProperty("rows").GetInt32());
        Assert.InRange(finished.DurationSeconds, 9 * 60, 15 * 60);

        var again = await (await client.PostJsonAsync(finishUrl, new FinishRunRequest("FINISHED", Json(new { rows = 5 })))).ReadOkAsync<RunResponse>();
        Assert.Equal(finished.FinishedAt, again.FinishedAt);
        Assert.Equal(1000, again.Summary.GetProperty("rows").GetInt32());
        Assert.Equal(finished.DurationSeconds, again.DurationSeconds);

        var failed = await client.PostJsonAsync(finishUrl, new FinishRunRequest("failed"));
        await failed.AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.RunFinished);
        var metrics = await client.PostJsonAsync($"{RunsUrl(team)}/{run.Id}/metrics", new List<MetricPointRequest> { new("loss", 0, 1) });
        await metrics.AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.RunFinished);

        var audit = await WithDbAsync(db => db.AuditEvents.CountAsync(e => e.TargetId == run.Id.ToString() && e.Action == "run.finished"));
        Assert.Equal(1, audit);
    }

    [SkippableFact]
    public async Task Using_a_committed_version_records_one_edge_and_shows_in_lineage()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var run = await CreateRunAsync(client, team, new CreateRunRequest("model_training"));
        var versionId = await CreateVersionAsync(team.Project.Id);
        var useUrl = $"{RunsUrl(team)}/{run.Id}/use";

        var used = await (await client.PostJsonAsync(useUrl, new UseVersionRequest(versionId))).ReadOkAsync<LineageVersionResponse>();
        var usedAgain = await (await client.PostJsonAsync(useUrl, new UseVersionRequest(versionId))).ReadOkAsync<LineageVersionResponse>();
        Assert.Equal(used, usedAgain);
        Assert.Equal(0, used.Index);
        Assert.Equal("documents", used.ArtifactType);
        Assert.Matches("^[0-9a-f]{64}$", used.ManifestDigest);
        Assert.Equal(1, await WithDbAsync(db => db.LineageEdges.CountAsync(e => e.RunId == run.Id)));

        // A produced edge is written by the version commit (another feature); it shows as an output here.
        var producedId = await CreateVersionAsync(team.Project.Id);
        await WithDbAsync(async db =>
        {
            db.LineageEdges.Add(new LineageEdge { ProjectId = team.Project.Id, RunId = run.Id, VersionId = producedId, Direction = LineageDirection.Produced, CreatedAt = DateTimeOffset.UtcNow });
            return await db.SaveChangesAsync();
        });
        var lineage = await (await app.ClientWithToken(team.Viewer.Token).GetAsync($"{RunsUrl(team)}/{run.Id}/lineage")).ReadOkAsync<RunLineageResponse>();
        Assert.Equal([used], lineage.Inputs);
        Assert.Equal(producedId, Assert.Single(lineage.Outputs).VersionId);
    }

    [SkippableFact]
    public async Task Only_committed_versions_of_the_same_project_can_be_used()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var other = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var run = await CreateRunAsync(client, team, new CreateRunRequest("model_training"));
        var useUrl = $"{RunsUrl(team)}/{run.Id}/use";

        var pending = await CreateVersionAsync(team.Project.Id, VersionState.Pending);
        await (await client.PostJsonAsync(useUrl, new UseVersionRequest(pending))).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.VersionNotCommitted);
        var elsewhere = await CreateVersionAsync(other.Project.Id);
        await (await client.PostJsonAsync(useUrl, new UseVersionRequest(elsewhere))).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.VersionNotFound);
        await (await client.PostJsonAsync(useUrl, new UseVersionRequest(Guid.NewGuid()))).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.VersionNotFound);
        var lineage = await (await client.GetAsync($"{RunsUrl(team)}/{run.Id}/lineage")).ReadOkAsync<RunLineageResponse>();
        Assert.Empty(lineage.Inputs);
    }

    [SkippableFact]
    public async Task A_viewer_reads_runs_but_cannot_write_them()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var run = await CreateRunAsync(app.ClientWithToken(team.Contributor.Token), team, new CreateRunRequest("indexing"));
        var versionId = await CreateVersionAsync(team.Project.Id);
        var viewer = app.ClientWithToken(team.Viewer.Token);
        var runUrl = $"{RunsUrl(team)}/{run.Id}";

        foreach (var write in new[]
                 {
                     viewer.PostJsonAsync(RunsUrl(team), new CreateRunRequest("indexing")),
                     viewer.PatchAsJsonAsync(runUrl, new UpdateRunRequest(Summary: Json(new { a = 1 })), HttpAssertions.Json),
                     viewer.PostJsonAsync($"{runUrl}/metrics", new List<MetricPointRequest> { new("loss", 0, 1) }),
                     viewer.PostJsonAsync($"{runUrl}/finish", new FinishRunRequest("finished")),
                     viewer.PostJsonAsync($"{runUrl}/use", new UseVersionRequest(versionId)),
                 })
        {
            var problem = await (await write).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
            Assert.Contains("Contributor role", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        (await viewer.GetAsync(RunsUrl(team))).EnsureSuccessStatusCode();
        (await viewer.GetAsync(runUrl)).EnsureSuccessStatusCode();
        (await viewer.GetAsync($"{runUrl}/metrics?key=loss")).EnsureSuccessStatusCode();
        (await viewer.GetAsync($"{runUrl}/metrics/keys")).EnsureSuccessStatusCode();
        (await viewer.GetAsync($"{runUrl}/lineage")).EnsureSuccessStatusCode();
        var detail = await (await viewer.GetAsync(runUrl)).ReadOkAsync<RunResponse>();
        Assert.Equal("running", detail.Status);
    }

    [SkippableFact]
    public async Task A_non_member_gets_project_not_found_for_every_run_endpoint()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var run = await CreateRunAsync(app.ClientWithToken(team.Contributor.Token), team, new CreateRunRequest("indexing"));
        var outsider = app.ClientWithToken((await app.Data.CreateUserAsync("outsider")).Token);
        var runUrl = $"{RunsUrl(team)}/{run.Id}";
        foreach (var request in new[]
                 {
                     outsider.GetAsync(RunsUrl(team)),
                     outsider.GetAsync(runUrl),
                     outsider.GetAsync($"{runUrl}/metrics?key=loss"),
                     outsider.GetAsync($"{runUrl}/metrics/keys"),
                     outsider.GetAsync($"{runUrl}/lineage"),
                     outsider.PostJsonAsync(RunsUrl(team), new CreateRunRequest("indexing")),
                     outsider.PostJsonAsync($"{runUrl}/finish", new FinishRunRequest("finished")),
                 })
        {
            await (await request).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ProjectNotFound);
        }
    }

    [SkippableFact]
    public async Task Unknown_runs_and_runs_of_another_project_are_not_found()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var other = await app.Data.CreateProjectWithTeamAsync();
        var foreign = await CreateRunAsync(app.ClientWithToken(other.Admin.Token), other, new CreateRunRequest("indexing"));
        // The site admin sees both projects, so only the run's project decides.
        var client = app.AdminClient();
        foreach (var runId in new[] { foreign.Id.ToString(), Guid.NewGuid().ToString(), "not-a-guid" })
        {
            var runUrl = $"{RunsUrl(team)}/{runId}";
            foreach (var request in new[]
                     {
                         client.GetAsync(runUrl),
                         client.PatchAsJsonAsync(runUrl, new UpdateRunRequest(Summary: Json(new { a = 1 })), HttpAssertions.Json),
                         client.PostJsonAsync($"{runUrl}/metrics", new List<MetricPointRequest> { new("loss", 0, 1) }),
                         client.GetAsync($"{runUrl}/metrics?key=loss"),
                         client.GetAsync($"{runUrl}/metrics/keys"),
                         client.PostJsonAsync($"{runUrl}/finish", new FinishRunRequest("finished")),
                         client.PostJsonAsync($"{runUrl}/use", new UseVersionRequest(Guid.NewGuid())),
                         client.GetAsync($"{runUrl}/lineage"),
                     })
            {
                await (await request).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.RunNotFound);
            }
        }

        var untouched = await (await client.GetAsync($"{RunsUrl(other)}/{foreign.Id}")).ReadOkAsync<RunResponse>();
        Assert.Equal("running", untouched.Status);
    }

    [SkippableFact]
    public async Task Concurrent_metric_batches_to_one_run_all_reach_the_summary()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var run = await CreateRunAsync(client, team, new CreateRunRequest("model_training"));
        var url = $"{RunsUrl(team)}/{run.Id}/metrics";
        // Several workers of one distributed job log at once; none of their summary keys may be lost.
        var batches = Enumerable.Range(0, 8).Select(w =>
            client.PostJsonAsync(url, Enumerable.Range(0, 10).Select(step => new MetricPointRequest($"worker_{w}/loss", step, w + (step / 10.0))).ToList()));
        foreach (var response in await Task.WhenAll(batches))
            response.EnsureSuccessStatusCode();

        var detail = await (await client.GetAsync($"{RunsUrl(team)}/{run.Id}")).ReadOkAsync<RunResponse>();
        for (var w = 0; w < 8; w++)
            Assert.Equal(w + 0.9, detail.Summary.GetProperty($"worker_{w}/loss").GetDouble(), 10);
        Assert.Equal(8, (await (await client.GetAsync($"{url}/keys")).ReadOkAsync<List<string>>()).Count);
    }

    [SkippableFact]
    public async Task Run_writes_are_audited()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var run = await CreateRunAsync(client, team, new CreateRunRequest("model_training"));
        (await client.PatchAsJsonAsync($"{RunsUrl(team)}/{run.Id}", new UpdateRunRequest(Json(new { lr = 0.1 })), HttpAssertions.Json)).EnsureSuccessStatusCode();
        (await client.PostJsonAsync($"{RunsUrl(team)}/{run.Id}/use", new UseVersionRequest(await CreateVersionAsync(team.Project.Id)))).EnsureSuccessStatusCode();
        (await client.PostJsonAsync($"{RunsUrl(team)}/{run.Id}/finish", new FinishRunRequest("crashed"))).EnsureSuccessStatusCode();
        var events = await WithDbAsync(db => db.AuditEvents.Where(e => e.TargetId == run.Id.ToString()).OrderBy(e => e.Sequence).ToListAsync());
        Assert.Equal(["run.created", "run.updated", "run.used_version", "run.finished"], events.Select(e => e.Action));
        Assert.All(events, e => Assert.Equal(team.Contributor.Id, e.ActorId));
        Assert.Contains("\"lr\"", events[1].AfterJson, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task The_openapi_document_describes_the_run_endpoints()
    {
        app.SkipIfUnavailable();
        var doc = await (await app.AnonymousClient().GetAsync("/openapi/v1.json")).ReadOkAsync<JsonElement>();
        var operations = doc.GetProperty("paths").EnumerateObject()
            .Where(p => p.Name.StartsWith("/api/v1/projects/{slug}/runs", StringComparison.Ordinal))
            .SelectMany(p => p.Value.EnumerateObject().Where(o => o.Value.ValueKind == JsonValueKind.Object && o.Value.TryGetProperty("operationId", out _)))
            .Select(o => o.Value.GetProperty("operationId").GetString())
            .ToHashSet();
        foreach (var name in new[] { "CreateRun", "ListRuns", "GetRun", "UpdateRun", "FinishRun", "LogRunMetrics", "GetRunMetricHistory", "ListRunMetricKeys", "UseVersionInRun", "GetRunLineage" })
            Assert.Contains(name, operations);
        var schemas = doc.GetProperty("components").GetProperty("schemas");
        Assert.True(schemas.TryGetProperty("RunResponse", out _));
        Assert.True(schemas.TryGetProperty("MetricPointRequest", out _));
    }

    [SkippableFact]
    public async Task The_demo_contributor_seeds_finished_runs_with_metric_histories()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        await app.WithServicesAsync(async services =>
        {
            var demo = services.GetServices<IDemoDataContributor>().OfType<DemoRuns>().Single();
            await demo.SeedAsync(team.Admin.Principal, team.Slug, CancellationToken.None);
            return true;
        });
        var client = app.ClientWithToken(team.Viewer.Token);
        var page = await (await client.GetAsync(RunsUrl(team))).ReadOkAsync<PagedResponse<RunResponse>>();
        Assert.Equal(3, page.Total);
        Assert.All(page.Items, r => Assert.NotEqual("running", r.Status));
        var eval = Assert.Single(page.Items, r => r.JobType == "model_evaluation");
        var history = await (await client.GetAsync($"{RunsUrl(team)}/{eval.Id}/metrics?key=recall_at_5&key=latency_ms")).ReadOkAsync<List<MetricHistoryResponse>>();
        Assert.All(history, h => Assert.Equal(50, h.Points.Count));
        Assert.Equal(history[0].Points[^1].Value, eval.Summary.GetProperty("recall_at_5").GetDouble());
    }
}

public sealed class RunsApiTests_Sqlite(SqliteApp app) : RunsApiTests(app), IClassFixture<SqliteApp>;

public sealed class RunsApiTests_Postgres(PostgresApp app) : RunsApiTests(app), IClassFixture<PostgresApp>;

public sealed class RunsApiTests_SqlServer(SqlServerApp app) : RunsApiTests(app), IClassFixture<SqlServerApp>;
