using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Evaluations;
using Portal.Core.Features.Promotions;
using Portal.TestCommon;

namespace Portal.Core.Tests.Features.Evaluations;

/// <summary>Logging, the matrix, attribution, the per-example comparison and the promotion gate on a real database.</summary>
public abstract class EvaluationsTests(PortalApp app)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private Task<T> With<T>(Func<IServiceProvider, Task<T>> action) => app.WithServicesAsync(action);

    private static MemoryStream Body(EvaluationHeader header, params string[] rows) =>
        new(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header, Json) + "\n" + string.Join("\n", rows) + "\n"));

    private static EvaluationRow Row(string id, double score, double? latency = null, long? tokens = null, string? output = null) =>
        new(id, new Dictionary<string, double> { ["acc"] = score }, latency, tokens, output);

    private async Task<TestProject> TeamWithVersionsAsync(int subjects, int evalSets)
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        for (var i = 0; i < subjects; i++)
            await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "index", "index", null, "", ("index.bin", $"index {i}"));
        for (var i = 0; i < evalSets; i++)
            await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "golden", "eval", null, "", ("q.jsonl", $"questions {i}"));
        return team;
    }

    private Task<EvaluationResponse> LogAsync(TestProject team, string subject, string evalSet, params EvaluationRow[] rows) =>
        With(s => s.GetRequiredService<LogEvaluation>().FromRowsAsync(team.Contributor.Principal, team.Slug, new EvaluationHeader(subject, evalSet, ["acc"]), rows));

    [SkippableFact]
    public async Task A_logged_evaluation_pins_the_eval_set_stores_sorted_rows_and_computes_the_aggregates()
    {
        app.SkipIfUnavailable();
        var team = await TeamWithVersionsAsync(1, 1);
        await With(s => s.GetRequiredService<ArtifactAliases>().SetAsync(team.Admin.Principal, team.Slug, "golden", "production", new SetAliasRequest("v0", "agreed")));
        var header = new EvaluationHeader("index:v0", "golden:production", ["acc", "f1"], "nightly");
        var body = Body(header,
            "{\"id\":\"q-3\",\"scores\":{\"acc\":1,\"f1\":0.5},\"latencyMs\":300,\"tokens\":10,\"output\":\"c\"}",
            "",
            "{\"id\":\"q-1\",\"scores\":{\"acc\":0},\"latencyMs\":100,\"tokens\":20,\"unknown\":[1,2]}",
            "{\"id\":\"q-2\",\"scores\":{\"acc\":1,\"f1\":1},\"latencyMs\":200}");
        var logged = await With(s => s.GetRequiredService<LogEvaluation>().FromNdjsonAsync(team.Contributor.Principal, team.Slug, body));

        Assert.Equal(("index", "v0", "index:v0"), (logged.Subject.Artifact, logged.Subject.Version, logged.Subject.Spec));
        Assert.Equal(("golden", "v0", "golden:production"), (logged.EvalSet.Artifact, logged.EvalSet.Version, logged.EvalSet.Spec));
        Assert.Equal(3, logged.ExampleCount);
        var acc = logged.Scores[0];
        Assert.Equal(("acc", 3L, 2.0 / 3, 0.0, 1.0), (acc.Scorer, acc.Count, acc.Mean!.Value, acc.Min!.Value, acc.Max!.Value));
        var f1 = logged.Scores[1];
        Assert.Equal(("f1", 2L, 0.75), (f1.Scorer, f1.Count, f1.Mean!.Value));
        Assert.Equal((200.0, 300.0, 30L), (logged.LatencyP50Ms!.Value, logged.LatencyP95Ms!.Value, logged.TotalTokens));
        Assert.Equal("nightly", logged.Name);

        // The alias moves on; the evaluation stays pinned to the version it named.
        await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "golden", "eval", null, "", ("q.jsonl", "questions 1"));
        await With(s => s.GetRequiredService<ArtifactAliases>().SetAsync(team.Admin.Principal, team.Slug, "golden", "production", new SetAliasRequest("v1", "harder")));
        var again = await With(s => s.GetRequiredService<EvaluationQueries>().GetAsync(team.Viewer.Principal, team.Slug, logged.Id));
        Assert.Equal("v0", again.EvalSet.Version);

        // Stored rows: canonical, sorted by id, and their digest names them.
        var stored = await With(async s =>
        {
            await using var rows = await s.GetRequiredService<EvaluationQueries>().OpenRowsAsync(team.Viewer.Principal, team.Slug, logged.Id);
            using var reader = new StreamReader(rows);
            return await reader.ReadToEndAsync();
        });
        var lines = stored.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["q-1", "q-2", "q-3"], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()));
        Assert.Equal("{\"id\":\"q-3\",\"scores\":{\"acc\":1,\"f1\":0.5},\"latencyMs\":300,\"tokens\":10,\"output\":\"c\"}", lines[2]);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(stored))), logged.RowsDigest);

        var listed = await With(s => s.GetRequiredService<EvaluationQueries>().ListAsync(team.Viewer.Principal, team.Slug, subject: "index"));
        Assert.Equal(logged.Id, Assert.Single(listed).Id);
        Assert.Empty(await With(s => s.GetRequiredService<EvaluationQueries>().ListAsync(team.Viewer.Principal, team.Slug, evalSet: "other")));
    }

    [SkippableTheory]
    [InlineData("{\"id\":\"q-1\",\"scores\":{\"acc\":\"high\"}}", 3, "finite number")]
    [InlineData("{\"id\":\"q-1\",\"scores\":{\"bleu\":1}}", 3, "not in the header")]
    [InlineData("{\"scores\":{\"acc\":1}}", 3, "\"id\" is missing")]
    [InlineData("{\"id\":\"q-1\",\"scores\":{\"acc\":1}", 3, "not valid JSON")]
    [InlineData("{\"id\":\"q-0\",\"scores\":{\"acc\":1},\"latencyMs\":-4}", 3, "latencyMs")]
    [InlineData("{\"id\":\"q-2\",\"scores\":{\"acc\":1}}", 3, "already given on line 2")]
    public async Task A_bad_row_is_refused_with_its_line_and_nothing_is_stored(string badRow, long line, string message)
    {
        app.SkipIfUnavailable();
        var team = await TeamWithVersionsAsync(1, 1);
        var body = Body(new EvaluationHeader("index:v0", "golden:v0", ["acc"]), "{\"id\":\"q-2\",\"scores\":{\"acc\":1}}", badRow, "{\"id\":\"q-9\",\"scores\":{\"acc\":0}}");
        var error = await Assert.ThrowsAsync<PortalException>(() => With(s => s.GetRequiredService<LogEvaluation>().FromNdjsonAsync(team.Contributor.Principal, team.Slug, body)));
        Assert.Equal(ErrorCodes.EvaluationMalformed, error.Code);
        Assert.Equal(line, error.Extensions["line"]);
        Assert.Contains($"line {line}", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Empty(await With(s => s.GetRequiredService<EvaluationQueries>().ListAsync(team.Viewer.Principal, team.Slug)));
    }

    [SkippableFact]
    public async Task Headers_viewers_and_unknown_versions_are_refused()
    {
        app.SkipIfUnavailable();
        var team = await TeamWithVersionsAsync(1, 1);
        var row = "{\"id\":\"q-1\",\"scores\":{\"acc\":1}}";
        var viewer = await Assert.ThrowsAsync<PortalException>(() => With(s => s.GetRequiredService<LogEvaluation>()
            .FromNdjsonAsync(team.Viewer.Principal, team.Slug, Body(new EvaluationHeader("index:v0", "golden:v0", ["acc"]), row))));
        Assert.Equal(403, viewer.Status);
        var missing = await Assert.ThrowsAsync<PortalException>(() => With(s => s.GetRequiredService<LogEvaluation>()
            .FromNdjsonAsync(team.Contributor.Principal, team.Slug, Body(new EvaluationHeader("index:v0", "golden:v7", ["acc"]), row))));
        Assert.Equal(ErrorCodes.VersionNotFound, missing.Code);
        var noScorers = await Assert.ThrowsAsync<PortalException>(() => With(s => s.GetRequiredService<LogEvaluation>()
            .FromNdjsonAsync(team.Contributor.Principal, team.Slug, Body(new EvaluationHeader("index:v0", "golden:v0", []), row))));
        Assert.Equal((ErrorCodes.EvaluationMalformed, 1L), (noScorers.Code, noScorers.Extensions["line"]));
        var notJson = await Assert.ThrowsAsync<PortalException>(() => With(s => s.GetRequiredService<LogEvaluation>()
            .FromNdjsonAsync(team.Contributor.Principal, team.Slug, new MemoryStream("subject=index:v0\n"u8.ToArray()))));
        Assert.Equal(ErrorCodes.EvaluationMalformed, notJson.Code);
    }

    [SkippableFact]
    public async Task Attribution_splits_a_change_into_subject_and_data_and_names_what_is_missing()
    {
        app.SkipIfUnavailable();
        var team = await TeamWithVersionsAsync(2, 2);
        var s1d1 = await LogAsync(team, "index:v0", "golden:v0", Row("a", 0.5));
        var s2d2 = await LogAsync(team, "index:v1", "golden:v1", Row("a", 0.6));
        var compare = (Guid before, Guid after) => With(s => s.GetRequiredService<CompareEvaluations>().AttributeAsync(team.Viewer.Principal, team.Slug, before, after));

        var none = await compare(s1d1.Id, s2d2.Id);
        Assert.Equal(0.1, none.Total, 10);
        Assert.Null(none.SubjectPart);
        Assert.Null(none.DataPart);
        Assert.Equal(["index:v1 on golden:v0", "index:v0 on golden:v1"], none.Missing);

        // The new index on the old data: +0.3 from the subject, so the data took 0.2 away.
        await LogAsync(team, "index:v1", "golden:v0", Row("a", 0.8));
        var one = await compare(s1d1.Id, s2d2.Id);
        Assert.Equal((0.3, -0.2), (Math.Round(one.SubjectPart!.Value, 10), Math.Round(one.DataPart!.Value, 10)));
        Assert.Equal(["index:v0 on golden:v1"], one.Missing);

        // The old index on the new data: −0.1 from the data that way round, +0.2 from the subject; the two orders are averaged.
        await LogAsync(team, "index:v0", "golden:v1", Row("a", 0.4));
        var both = await compare(s1d1.Id, s2d2.Id);
        Assert.Empty(both.Missing);
        Assert.Equal(2, both.Crossings.Count);
        Assert.Equal((0.25, -0.15), (Math.Round(both.SubjectPart!.Value, 10), Math.Round(both.DataPart!.Value, 10)));
        Assert.Equal(both.Total, both.SubjectPart!.Value + both.DataPart!.Value, 10);

        // Same eval set: all of it is the subject's.
        var sameSet = await compare(s1d1.Id, (await LogAsync(team, "index:v1", "golden:v0", Row("a", 0.9))).Id);
        Assert.Equal((0.4, 0.0), (Math.Round(sameSet.SubjectPart!.Value, 10), sameSet.DataPart!.Value));
    }

    [SkippableFact]
    public async Task The_per_example_comparison_lists_what_got_worse_and_better_on_the_same_eval_set_only()
    {
        app.SkipIfUnavailable();
        var team = await TeamWithVersionsAsync(2, 2);
        var before = await LogAsync(team, "index:v0", "golden:v0", Row("a", 1, output: "right"), Row("b", 0.5), Row("c", 0), Row("d", 1), Row("only-before", 1));
        var after = await LogAsync(team, "index:v1", "golden:v0", Row("a", 0, output: "wrong"), Row("b", 0.75), Row("c", 1), Row("d", 1), Row("only-after", 0));
        var result = await With(s => s.GetRequiredService<CompareEvaluations>().ExamplesAsync(team.Viewer.Principal, team.Slug, before.Id, after.Id));
        Assert.Equal((1L, 2L, 1L, 1L, 1L), (result.WorseCount, result.BetterCount, result.UnchangedCount, result.OnlyBefore, result.OnlyAfter));
        var worse = Assert.Single(result.Worse);
        Assert.Equal(("a", 1.0, 0.0, -1.0, "right", "wrong"), (worse.Id, worse.Before, worse.After, worse.Delta, worse.OutputBefore, worse.OutputAfter));
        Assert.Equal(["c", "b"], result.Better.Select(c => c.Id));

        var limited = await With(s => s.GetRequiredService<CompareEvaluations>().ExamplesAsync(team.Viewer.Principal, team.Slug, before.Id, after.Id, "acc", limit: 1));
        Assert.Equal((2L, "c"), (limited.BetterCount, Assert.Single(limited.Better).Id));

        var otherSet = await LogAsync(team, "index:v1", "golden:v1", Row("a", 1));
        var refused = await Assert.ThrowsAsync<PortalException>(() => With(s => s.GetRequiredService<CompareEvaluations>().ExamplesAsync(team.Viewer.Principal, team.Slug, before.Id, otherSet.Id)));
        Assert.Equal(ErrorCodes.EvaluationsNotComparable, refused.Code);
        var stranger = await app.Data.CreateProjectWithTeamAsync();
        var hidden = await Assert.ThrowsAsync<PortalException>(() => With(s => s.GetRequiredService<CompareEvaluations>().ExamplesAsync(stranger.Viewer.Principal, team.Slug, before.Id, after.Id)));
        Assert.True(hidden.Status is 403 or 404);
    }

    [SkippableFact]
    public async Task The_promotion_gate_shows_the_numbers_and_fails_below_the_threshold_or_beyond_the_allowed_drop()
    {
        app.SkipIfUnavailable();
        var team = await TeamWithVersionsAsync(3, 1);
        await With(s => s.GetRequiredService<ArtifactAliases>().SetAsync(team.Admin.Principal, team.Slug, "golden", "production", new SetAliasRequest("v0", "agreed")));
        await With(s => s.GetRequiredService<ArtifactAliases>().SetAsync(team.Admin.Principal, team.Slug, "index", "production", new SetAliasRequest("v0", "serving")));
        var gate = new EvaluationGateModel("golden:production", "acc", Threshold: 0.6, MaxDrop: 0.05);
        var policy = await With(s => s.GetRequiredService<PromotionPolicies>().SetAsync(team.Admin.Principal, team.Slug, "production", new PromotionPolicyRequest(Evaluation: gate)));
        Assert.Equal(gate, policy.Evaluation);

        async Task<PromotionCheckResponse> CheckOf(string version)
        {
            var request = await With(s => s.GetRequiredService<RequestPromotion>().RequestAsync(team.Contributor.Principal, team.Slug, "index", new CreatePromotionRequest(version, "production")));
            var detail = await With(s => s.GetRequiredService<PromotionQueries>().GetAsync(team.Viewer.Principal, team.Slug, request.Id));
            await With(s => s.GetRequiredService<RequestPromotion>().CancelAsync(team.Contributor.Principal, team.Slug, request.Id, new PromotionDecisionRequest()));
            return Assert.Single(detail.Checks, c => c.Name == PromotionChecks.Evaluation);
        }

        var missing = await CheckOf("v1");
        Assert.Equal(PromotionCheckStates.Missing, missing.State);
        Assert.Contains("No evaluation of this version on golden:v0", missing.Summary, StringComparison.Ordinal);

        await LogAsync(team, "index:v0", "golden:v0", Row("a", 0.8));
        await LogAsync(team, "index:v1", "golden:v0", Row("a", 0.78));
        var passed = await CheckOf("v1");
        Assert.Equal(PromotionCheckStates.Passed, passed.State);
        Assert.Equal("acc = 0.78 on golden:v0; ≥ threshold 0.6; current version 0.8 (Δ -0.02, within the allowed drop 0.05).", passed.Summary);
        Assert.StartsWith($"/projects/{team.Slug}/evaluations/", passed.Link, StringComparison.Ordinal);

        await LogAsync(team, "index:v2", "golden:v0", Row("a", 0.7));
        var dropped = await CheckOf("v2");
        Assert.Equal(PromotionCheckStates.Failed, dropped.State);
        Assert.Contains("beyond the allowed drop 0.05", dropped.Summary, StringComparison.Ordinal);

        await With(s => s.GetRequiredService<PromotionPolicies>().SetAsync(team.Admin.Principal, team.Slug, "production",
            new PromotionPolicyRequest(Evaluation: new EvaluationGateModel("golden:production", "acc", Threshold: 0.75))));
        var below = await CheckOf("v2");
        Assert.Equal(PromotionCheckStates.Failed, below.State);
        Assert.Contains("below the threshold 0.75", below.Summary, StringComparison.Ordinal);

        var invalid = await Assert.ThrowsAsync<PortalException>(() => With(s => s.GetRequiredService<PromotionPolicies>().SetAsync(team.Admin.Principal, team.Slug, "production",
            new PromotionPolicyRequest(Evaluation: new EvaluationGateModel("golden", "acc", 0.5)))));
        Assert.Equal(ErrorCodes.ValidationFailed, invalid.Code);
    }

    [SkippableFact]
    public async Task The_rows_blob_is_recorded_as_stored_and_garbage_collection_keeps_it_while_an_evaluation_names_it()
    {
        app.SkipIfUnavailable();
        var team = await TeamWithVersionsAsync(1, 1);
        var logged = await LogAsync(team, "index:v0", "golden:v0", Row("a", 1), Row("b", 0.25));
        var (size, named, notNamed) = await With(async s =>
        {
            await using var db = await s.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            var blobs = db.StoredBlobs.Where(b => b.Digest == logged.RowsDigest);
            // The row the integrity scrub walks, with the size of the bytes stored.
            var stored = await blobs.AsNoTracking().SingleAsync();
            return (stored.Size, await blobs.WhereNamed(db).CountAsync(), await blobs.WhereNotNamed(db).CountAsync());
        });
        Assert.Equal((logged.RowsSize, 1, 0), (size, named, notNamed));

        // The same rows logged again share the blob and its single row.
        var again = await LogAsync(team, "index:v0", "golden:v0", Row("b", 0.25), Row("a", 1));
        Assert.Equal(logged.RowsDigest, again.RowsDigest);
        var rows = await With(async s =>
        {
            await using var db = await s.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await db.StoredBlobs.CountAsync(b => b.Digest == logged.RowsDigest);
        });
        Assert.Equal(1, rows);
    }
}

public sealed class EvaluationsTests_Sqlite(SqliteApp app) : EvaluationsTests(app), IClassFixture<SqliteApp>;

public sealed class EvaluationsTests_Postgres(PostgresApp app) : EvaluationsTests(app), IClassFixture<PostgresApp>;

public sealed class EvaluationsTests_SqlServer(SqlServerApp app) : EvaluationsTests(app), IClassFixture<SqlServerApp>;
