using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Runs;

namespace Portal.Core.Features.Artifacts;

/// <summary>
/// The demo project's RAG pipeline — support documents → chunks → retrieval index, plus an evaluation set — with
/// several versions, aliases and lineage, made through the same use cases the API calls (blob upload, create,
/// commit, alias moves, runs).
/// </summary>
public sealed class DemoArtifacts(
    BlobUploads blobs,
    CreateVersion create,
    CommitVersion commit,
    ArtifactAliases aliases,
    Runs.Runs runs,
    RunLineage lineage) : IDemoDataContributor
{
    private static readonly string[] Topics = ["billing", "shipping", "returns", "accounts", "privacy", "api", "mobile-app", "integrations"];

    public async Task SeedAsync(ClaimsPrincipal admin, string projectSlug, CancellationToken ct)
    {
        // Documents: three versions as the knowledge base grows and gets edited.
        var upload = await StartRunAsync(admin, projectSlug, "data_upload", "ingest-support-docs", new { source = "zendesk-export", locale = "en" }, ct);
        await PutVersionAsync(admin, projectSlug, "support-docs", "documents", Documents(edition: 0, count: 24), upload, "Initial export of the help centre.", ct);
        var docsV1 = await PutVersionAsync(admin, projectSlug, "support-docs", "documents", Documents(edition: 1, count: 30), upload, "Adds the **integrations** section.", ct);
        var docsV2 = await PutVersionAsync(admin, projectSlug, "support-docs", "documents", Documents(edition: 2, count: 32), upload, "Refund policy rewritten for 2026.", ct);
        await FinishAsync(admin, projectSlug, upload, new { documents = 32 }, ct);
        await aliases.SetAsync(admin, projectSlug, "support-docs", "production", new SetAliasRequest($"v{docsV1.Index}", "Reviewed by support leads"), ct);
        await aliases.SetAsync(admin, projectSlug, "support-docs", "staging", new SetAliasRequest($"v{docsV2.Index}", "Candidate with the new refund policy"), ct);

        // Chunks of the latest documents.
        var chunking = await StartRunAsync(admin, projectSlug, "data_processing", "chunk-support-docs", new { splitter = "markdown", chunk_size = 512, overlap = 64 }, ct);
        await lineage.UseAsync(admin, projectSlug, chunking.Id, new UseVersionRequest(docsV1.Id), ct);
        var chunksV0 = await PutVersionAsync(admin, projectSlug, "support-chunks", "chunks", Chunks(Documents(1, 30)), chunking, "512-token chunks of support-docs:v1.", ct);
        await lineage.UseAsync(admin, projectSlug, chunking.Id, new UseVersionRequest(docsV2.Id), ct);
        var chunksV1 = await PutVersionAsync(admin, projectSlug, "support-chunks", "chunks", Chunks(Documents(2, 32)), chunking, "512-token chunks of support-docs:v2.", ct);
        await FinishAsync(admin, projectSlug, chunking, new { chunks = 2 * 32 }, ct);

        // The retrieval index built from the chunks.
        var indexing = await StartRunAsync(admin, projectSlug, "indexing", "build-support-index", new { embedding_model = "bge-small-en-v1.5", index = "hnsw", m = 32 }, ct);
        await lineage.UseAsync(admin, projectSlug, indexing.Id, new UseVersionRequest(chunksV0.Id), ct);
        var indexV0 = await PutVersionAsync(admin, projectSlug, "support-index", "index", Index(chunksV0.ManifestDigest, 60), indexing, "HNSW index over support-chunks:v0.", ct);
        await lineage.UseAsync(admin, projectSlug, indexing.Id, new UseVersionRequest(chunksV1.Id), ct);
        var indexV1 = await PutVersionAsync(admin, projectSlug, "support-index", "index", Index(chunksV1.ManifestDigest, 64), indexing, "HNSW index over support-chunks:v1.", ct);
        await FinishAsync(admin, projectSlug, indexing, new { vectors = 64 }, ct);
        await aliases.SetAsync(admin, projectSlug, "support-index", "production", new SetAliasRequest($"v{indexV0.Index}", "Serving since the last release"), ct);
        await aliases.SetAsync(admin, projectSlug, "support-index", "staging", new SetAliasRequest($"v{indexV1.Index}", "Built from the refund-policy rewrite"), ct);

        // An evaluation set the team scores every index against.
        var evalSet = new Dictionary<string, string>
        {
            ["questions.csv"] = "id,question,expected_doc,category\n" + string.Join("\n",
                Enumerable.Range(1, 40).Select(i => string.Create(CultureInfo.InvariantCulture, $"{i},How do I handle {Topics[i % Topics.Length]} case {i}?,docs/{Topics[i % Topics.Length]}/article-{i % 4:D2}.md,{Topics[i % Topics.Length]}"))) + "\n",
            ["README.md"] = "# Support evaluation set\n\n40 questions with the article that answers each.\n",
        };
        await PutVersionAsync(admin, projectSlug, "support-eval", "eval", evalSet, null, "Golden questions for retrieval recall@5.", ct);
        await aliases.SetAsync(admin, projectSlug, "support-eval", "golden", new SetAliasRequest("v0", "Agreed with support leads"), ct);
    }

    private async Task<RunResponse> StartRunAsync(ClaimsPrincipal admin, string slug, string jobType, string name, object config, CancellationToken ct) =>
        await runs.CreateAsync(admin, slug, new CreateRunRequest(jobType, name, JsonSerializer.SerializeToElement(config), Host: "pipeline-runner-01"), ct);

    private Task FinishAsync(ClaimsPrincipal admin, string slug, RunResponse run, object summary, CancellationToken ct) =>
        runs.FinishAsync(admin, slug, run.Id, new FinishRunRequest("finished", JsonSerializer.SerializeToElement(summary)), ct);

    /// <summary>Uploads the files the portal lacks, creates the version and commits it — the CLI's own sequence.</summary>
    private async Task<ArtifactVersionResponse> PutVersionAsync(
        ClaimsPrincipal admin, string slug, string name, string type, IReadOnlyDictionary<string, string> files, RunResponse? run, string description, CancellationToken ct)
    {
        var entries = new List<ManifestEntryModel>();
        foreach (var (path, text) in files)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            var digest = Convert.ToHexStringLower(SHA256.HashData(bytes));
            using var content = new MemoryStream(bytes);
            await blobs.PutAsync(admin, digest, content, bytes.Length, slug, ct);
            entries.Add(new ManifestEntryModel(path, digest, bytes.Length));
        }

        var metadata = JsonSerializer.Serialize(new { files = files.Count, source = run?.Name ?? "manual" });
        var created = await create.FromEntriesAsync(admin, slug, name, new NewVersionFields(type, description, metadata, null, run?.Id), entries, ct);
        var committed = await commit.CommitAsync(admin, slug, name, created.VersionId!.Value, ct);
        return committed.Version;
    }

    private static Dictionary<string, string> Documents(int edition, int count)
    {
        var documents = new Dictionary<string, string>();
        for (var i = 0; i < count; i++)
        {
            var topic = Topics[i % Topics.Length];
            var revised = topic == "returns" && edition >= 2 ? "Refunds are issued within 5 business days of receiving the item." : "Refunds are issued within 14 days.";
            documents[$"docs/{topic}/article-{i / Topics.Length:D2}.md"] =
                $"# {char.ToUpperInvariant(topic[0])}{topic[1..]} — article {i / Topics.Length}\n\n{revised}\n\nContact support if the steps above do not help. ({topic}, item {i})\n";
        }

        documents["manifest.json"] = JsonSerializer.Serialize(new { edition, articles = count });
        return documents;
    }

    private static Dictionary<string, string> Chunks(IReadOnlyDictionary<string, string> documents)
    {
        var lines = documents.Where(d => d.Key.EndsWith(".md", StringComparison.Ordinal))
            .SelectMany(d => d.Value.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
                .Select((text, i) => JsonSerializer.Serialize(new { doc = d.Key, chunk = i, text = text.Trim(), tokens = text.Length / 4 })));
        return new Dictionary<string, string>
        {
            ["chunks.jsonl"] = string.Join("\n", lines) + "\n",
            ["stats.json"] = JsonSerializer.Serialize(new { documents = documents.Count - 1 }),
        };
    }

    private static Dictionary<string, string> Index(string chunksDigest, int vectors) => new()
    {
        ["index/hnsw.meta.json"] = JsonSerializer.Serialize(new { dim = 384, metric = "cosine", vectors, built_from = chunksDigest }),
        ["index/ids.txt"] = string.Join("\n", Enumerable.Range(0, vectors)) + "\n",
        ["config.yaml"] = "embedding_model: bge-small-en-v1.5\nindex: hnsw\nm: 32\nef_search: 64\n",
    };
}
