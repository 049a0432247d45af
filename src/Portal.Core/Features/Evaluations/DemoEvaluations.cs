using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Promotions;

namespace Portal.Core.Features.Evaluations;

/// <summary>
/// The demo's evaluations: a <c>golden</c> eval set with two versions (v1 adds harder refund questions), both
/// <c>support-index</c> versions evaluated on both, and the <c>production</c> policy gated on recall@5 on
/// <c>golden:v1</c>, so the pending promotion of the staged index shows the gate with its numbers. Runs after the
/// promotions demo, which sets the policy and opens the request.
/// </summary>
public sealed class DemoEvaluations(
    IDbContextFactory<PortalDbContext> dbFactory,
    BlobUploads blobs,
    CreateVersion create,
    CommitVersion commit,
    LogEvaluation log,
    PromotionPolicies policies) : IDemoDataContributor
{
    public const string EvalSet = "golden";
    public const string Subject = "support-index";

    public async Task SeedAsync(ClaimsPrincipal admin, string projectSlug, CancellationToken ct)
    {
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var project = await db.Projects.AsNoTracking().SingleAsync(p => p.Slug == projectSlug, ct);
            if (!await db.Artifacts.AnyAsync(a => a.ProjectId == project.Id && a.Name == Subject, ct))
                return;
            if (!await db.Artifacts.AnyAsync(a => a.ProjectId == project.Id && a.Name == EvalSet, ct))
            {
                await PutAsync(admin, projectSlug, Questions(30, hard: 0), "30 support questions with their expected articles.", ct);
                await PutAsync(admin, projectSlug, Questions(30, hard: 10), "Adds 10 harder refund questions after the policy rewrite.", ct);
            }
        }

        string[] scorers = ["recall@5", "mrr"];
        // support-index:v0 serves production; v1 is staged. v1 is better on the same data; golden:v1 is harder for both.
        foreach (var (index, quality) in new[] { (0, 0.78), (1, 0.86) })
        {
            foreach (var (set, hard) in new[] { (0, 0), (1, 10) })
            {
                await log.FromRowsAsync(admin, projectSlug,
                    new EvaluationHeader($"{Subject}:v{index}", $"{EvalSet}:v{set}", scorers, "nightly"),
                    Rows(30, hard, quality, seed: index * 10 + set), ct);
            }
        }

        var current = await policies.GetAsync(admin, projectSlug, "production", ct);
        await policies.SetAsync(admin, projectSlug, "production", new PromotionPolicyRequest(
            current.RequiredApprovals, current.ApproverRole, current.RequireValidation, current.RequireCompareReport, current.RequiredSourceAlias,
            new EvaluationGateModel($"{EvalSet}:v1", "recall@5", Threshold: 0.75, MaxDrop: 0.02)), ct);
    }

    private static IEnumerable<EvaluationRow> Rows(int easy, int hard, double quality, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < easy + hard; i++)
        {
            var p = i < easy ? quality : quality - 0.25;
            var hit = random.NextDouble() < p ? 1.0 : 0.0;
            var rank = hit == 0 ? 0 : 1.0 / (1 + random.Next(3));
            yield return new EvaluationRow(
                string.Create(CultureInfo.InvariantCulture, $"q-{i + 1:D3}"),
                new Dictionary<string, double> { ["recall@5"] = hit, ["mrr"] = rank },
                LatencyMs: 80 + random.Next(120),
                Tokens: 300 + random.Next(200),
                Output: hit == 1 ? "Found the expected article." : "Answered from an unrelated article.");
        }
    }

    private static Dictionary<string, string> Questions(int easy, int hard) => new()
    {
        ["questions.jsonl"] = string.Join("\n", Enumerable.Range(1, easy + hard).Select(i => JsonSerializer.Serialize(new
        {
            id = string.Create(CultureInfo.InvariantCulture, $"q-{i:D3}"),
            question = i <= easy ? $"How do I handle support case {i}?" : $"A customer returned item {i} after 10 days; when is the refund issued?",
        }))) + "\n",
    };

    private async Task PutAsync(ClaimsPrincipal admin, string slug, IReadOnlyDictionary<string, string> files, string description, CancellationToken ct)
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
        var created = await create.FromEntriesAsync(admin, slug, EvalSet, new NewVersionFields("eval", description, null, null, null), entries, ct);
        await commit.CommitAsync(admin, slug, EvalSet, created.VersionId!.Value, ct);
    }
}
