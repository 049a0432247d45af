using System.Security.Claims;
using System.Text.Json;
using Portal.Client.Models;
using Portal.Core.Data;

namespace Portal.Core.Features.Runs;

/// <summary>
/// The demo project's runs: an indexing run, a chunking run that failed, and an evaluation with 50 steps of recall
/// and latency, so the run pages have histories to draw. Made through the same use cases as the API.
/// </summary>
public sealed class DemoRuns(Runs runs, RunMetrics metrics, TimeProvider clock) : IDemoDataContributor
{
    public async Task SeedAsync(ClaimsPrincipal admin, string projectSlug, CancellationToken ct)
    {
        var now = clock.GetUtcNow();

        var indexing = await runs.CreateAsync(admin, projectSlug, new CreateRunRequest(
            "indexing",
            "index-support-kb",
            Json(new { embedding_model = "bge-small-en-v1.5", chunk_size = 512, chunk_overlap = 64, index = "hnsw", ef_construction = 200 }),
            "3f9c2a1d8e7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a",
            "git@example.com:ml/rag-pipelines.git",
            "gpu-worker-03",
            now.AddDays(-3)), ct);
        await metrics.LogAsync(admin, projectSlug, indexing.Id, Steps(20, indexing.StartedAt, TimeSpan.FromMinutes(1), step =>
        [
            ("documents_indexed", (step + 1) * 1250),
            ("embeddings_per_second", 410 + (35 * Math.Sin(step / 3.0))),
        ]), ct);
        await runs.FinishAsync(admin, projectSlug, indexing.Id, new FinishRunRequest("finished", Json(new { vectors = 71_904, index_size_mb = 312.4 })), ct);

        var chunking = await runs.CreateAsync(admin, projectSlug, new CreateRunRequest(
            "data_processing",
            "chunk-support-kb",
            Json(new { splitter = "markdown", chunk_size = 256 }),
            Host: "cpu-worker-01",
            StartedAt: now.AddDays(-2)), ct);
        await metrics.LogAsync(admin, projectSlug, chunking.Id, Steps(5, chunking.StartedAt, TimeSpan.FromSeconds(30), step =>
        [
            ("documents_split", (step + 1) * 800),
        ]), ct);
        await runs.FinishAsync(admin, projectSlug, chunking.Id, new FinishRunRequest("failed", Json(new { error = "Out of memory while splitting tables" })), ct);

        var evaluation = await runs.CreateAsync(admin, projectSlug, new CreateRunRequest(
            "model_evaluation",
            "eval-retrieval-golden",
            Json(new { eval_set = "support-golden-v3", top_k = 5, reranker = "bge-reranker-base" }),
            "3f9c2a1d8e7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a",
            "git@example.com:ml/rag-pipelines.git",
            "gpu-worker-03",
            now.AddDays(-1)), ct);
        await metrics.LogAsync(admin, projectSlug, evaluation.Id, Steps(50, evaluation.StartedAt, TimeSpan.FromSeconds(20), step =>
        [
            // A curve that rises towards 0.9 with a little deterministic wobble, like a real evaluation sweep.
            ("recall_at_5", Math.Round(0.9 - (0.35 * Math.Exp(-step / 12.0)) + (0.01 * Math.Sin(step)), 4)),
            ("latency_ms", Math.Round(180 + (25 * Math.Cos(step / 4.0)) + (step * 0.6), 1)),
        ]), ct);
        await runs.FinishAsync(admin, projectSlug, evaluation.Id, new FinishRunRequest("finished", Json(new { questions = 400 })), ct);
    }

    private static List<MetricPointRequest?> Steps(int count, DateTimeOffset start, TimeSpan every, Func<int, (string Key, double Value)[]> values) =>
        Enumerable.Range(0, count)
            .SelectMany(step => values(step).Select(v => (MetricPointRequest?)new MetricPointRequest(v.Key, step, v.Value, start + (every * step))))
            .ToList();

    private static JsonElement Json(object value) => JsonSerializer.SerializeToElement(value);
}
