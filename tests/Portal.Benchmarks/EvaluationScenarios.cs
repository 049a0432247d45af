using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Features.Evaluations;
using Portal.TestCommon;

namespace Portal.Benchmarks;

public static class EvaluationScenarios
{
    private const string Scenario = "evaluations";

    /// <summary>
    /// Over HTTP with the SDK on SQLite: logging an evaluation of 100,000 examples (target under 5 s), the per-example
    /// comparison of two 100,000-example evaluations (under 1 s), and the matrix of 50 subject versions × 10 eval-set
    /// versions (under 1 s). The first log in the process also pays for JIT and query compilation ("cold").
    /// </summary>
    public static async Task RunAsync(BenchContext context)
    {
        var team = context.Team;
        const int subjects = 50;
        const int evalSets = 10;
        for (var i = 0; i < subjects; i++)
            await TestArtifacts.PublishAsync(context.Services, team.Contributor.Principal, team.Slug, "bench-model", "model", null, "", ("weights.txt", $"model {i}"));
        for (var i = 0; i < evalSets; i++)
            await TestArtifacts.PublishAsync(context.Services, team.Contributor.Principal, team.Slug, "bench-golden", "eval", null, "", ("questions.txt", $"eval set {i}"));

        using var client = new PortalClient(new Uri(context.BaseUrl + "/"), team.Contributor.Token);
        const int examples = 100_000;
        var (cold, coldMs) = await BenchContext.TimeAsync(() => client.LogEvaluationAsync(team.Slug,
            new EvaluationHeader("bench-model:v0", "bench-golden:v9", ["exact_match", "f1"], "cold"), Rows(examples, 0.70, seed: 1)));
        BenchContext.Report(Scenario, "log_100k_cold", coldMs / 1000, "s");
        var (before, beforeMs) = await BenchContext.TimeAsync(() => client.LogEvaluationAsync(team.Slug,
            new EvaluationHeader("bench-model:v1", "bench-golden:v9", ["exact_match", "f1"], "before"), Rows(examples, 0.72, seed: 2)));
        BenchContext.Report(Scenario, "log_100k", beforeMs / 1000, "s");
        var after = await client.LogEvaluationAsync(team.Slug,
            new EvaluationHeader("bench-model:v2", "bench-golden:v9", ["exact_match", "f1"], "after"), Rows(examples, 0.75, seed: 3));
        _ = cold;

        // Warm the path once with a small pair, then time the 100,000-example comparison.
        await client.CompareEvaluationExamplesAsync(team.Slug, cold.Id, before.Id, "exact_match", 10);
        var (comparison, compareMs) = await BenchContext.TimeAsync(() => client.CompareEvaluationExamplesAsync(team.Slug, before.Id, after.Id, "exact_match", 100));
        BenchContext.Report(Scenario, "compare_100k_examples", compareMs, "ms");
        if (comparison.WorseCount + comparison.BetterCount + comparison.UnchangedCount != examples)
            throw new InvalidOperationException("The comparison did not cover every example.");

        // The matrix: one small evaluation per cell, logged through the use case (set-up, not measured).
        await using (var scope = context.Services.CreateAsyncScope())
        {
            var log = scope.ServiceProvider.GetRequiredService<LogEvaluation>();
            for (var s = 0; s < subjects; s++)
            {
                for (var d = 0; d < evalSets; d++)
                {
                    await log.FromRowsAsync(team.Contributor.Principal, team.Slug,
                        new EvaluationHeader($"bench-model:v{s}", $"bench-golden:v{d}", ["exact_match", "f1"]), Rows(20, 0.5 + s / 200.0, seed: s * 100 + d));
                }
            }
        }
        await client.GetEvaluationMatrixAsync(team.Slug, "bench-model", "exact_match");
        var (matrix, matrixMs) = await BenchContext.TimeAsync(() => client.GetEvaluationMatrixAsync(team.Slug, "bench-model", "f1"));
        BenchContext.Report(Scenario, "matrix_50x10", matrixMs, "ms");
        if (matrix.Rows.Count != subjects || matrix.Columns.Count != evalSets)
            throw new InvalidOperationException($"The matrix is {matrix.Rows.Count} × {matrix.Columns.Count}, not {subjects} × {evalSets}.");
        BenchContext.Report(Scenario, "load_average", BenchContext.LoadAverage(), "");
    }

    private static IEnumerable<EvaluationRow> Rows(int count, double quality, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var hit = random.NextDouble() < quality ? 1.0 : 0.0;
            yield return new EvaluationRow(
                string.Create(CultureInfo.InvariantCulture, $"example-{i:D7}"),
                new Dictionary<string, double> { ["exact_match"] = hit, ["f1"] = Math.Round(random.NextDouble(), 4) },
                LatencyMs: 50 + random.Next(500),
                Tokens: 200 + random.Next(800),
                Output: hit == 1 ? "the expected answer" : "another answer");
        }
    }
}
