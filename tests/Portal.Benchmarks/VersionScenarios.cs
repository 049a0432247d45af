using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;

namespace Portal.Benchmarks;

public static class VersionScenarios
{
    /// <summary>
    /// Commit of a 100,000-entry full manifest on SQLite, server time (target: under 3 s). The first commit in the
    /// process also pays for JIT compilation and EF Core's query compilation (reported as "cold"); the figure the
    /// target is about is the next one, with other paths (so nothing is shared), as a running server serves it.
    /// </summary>
    public static async Task Commit100kAsync(BenchContext context)
    {
        const int count = 100_000;
        // The manifest work alone (parse, validate, sort, hash ranges), without the database, for the breakdown.
        var (_, pureMs) = await BenchContext.TimeAsync(async () =>
        {
            await using var body = ManifestGenerator.Ndjson(count);
            return await Portal.Core.Features.Artifacts.Manifests.ManifestRangeBuilder.BuildAsync(
                new Portal.Core.Features.Artifacts.Manifests.ManifestSorter().SortAsync(Portal.Core.Features.Artifacts.Manifests.ManifestNdjsonReader.ReadAsync(body)));
        });
        BenchContext.Report("commit-100k", "manifest_without_database", pureMs, "ms");
        await context.MarkBlobsStoredAsync(ManifestGenerator.Blobs(count));
        var (_, cold) = await CreateAndCommitAsync(context, "bench-100k-cold", count, prefix: "cold/");
        BenchContext.Report("commit-100k", "server_time_cold", cold / 1000, "s");
        await IndexBacklogAsync(context, "commit-100k", "background_index_cold");
        var (_, total) = await CreateAndCommitAsync(context, "bench-100k", count);
        BenchContext.Report("commit-100k", "server_time", total / 1000, "s");
        await IndexBacklogAsync(context, "commit-100k", "background_index");
    }

    /// <summary>
    /// Indexes the blobs of the ranges just stored, as the portal does in the background once uploads are quiet, and
    /// copies the log that wrote into the database file (the portal's checkpointer does that within a second), then
    /// reports how long both took. Run between measured uploads, so that none of them shares the disk with that work.
    /// </summary>
    private static async Task IndexBacklogAsync(BenchContext context, string scenario, string figure)
    {
        var indexer = context.Services.GetRequiredService<BlobRangeIndexer>();
        var (ranges, ms) = await BenchContext.TimeAsync(async () =>
        {
            var indexed = await indexer.DrainAsync();
            await SqliteCheckpointer.CheckpointAsync(context.App.Database.ConnectionString, default);
            return indexed;
        });
        BenchContext.Report(scenario, figure, ms, "ms");
        _ = ranges;
    }

    /// <summary>
    /// A 1,000,000-entry version: commit time and peak managed memory (target: under 300 MB), then base + patch of
    /// 10 entries (under 300 ms, under 20 new ranges), the diff of the two (under 100 ms) and the first page of
    /// directory listings (under 100 ms).
    /// </summary>
    public static async Task MillionAsync(BenchContext context)
    {
        const int count = 1_000_000;
        const string name = "bench-1m";
        await context.MarkBlobsStoredAsync(ManifestGenerator.Blobs(count));

        Guid v0;
        double commitMs;
        long peak, baseline;
        await using (var memory = new PeakMemory())
        {
            (v0, commitMs) = await CreateAndCommitAsync(context, name, count);
            peak = memory.Peak;
            baseline = memory.Baseline;
        }

        BenchContext.Report("million", "commit_1m", commitMs / 1000, "s");
        BenchContext.Report("million", "commit_1m_peak_managed", peak / 1024.0 / 1024.0, "MB");
        BenchContext.Report("million", "commit_1m_peak_managed_above_idle", (peak - baseline) / 1024.0 / 1024.0, "MB");
        await IndexBacklogAsync(context, "million", "commit_1m_background_index");

        // Base + patch: 5 files changed, 5 added. The first patch in the process pays for JIT and query compilation
        // (reported as "cold"); the figure the target is about is the next one, as a running server serves it.
        var (v1, coldCreate, coldCommit) = await PatchAsync(context, name, "latest", generation: 1);
        BenchContext.Report("million", "patch_10_cold_total", coldCreate + coldCommit, "ms");
        await IndexBacklogAsync(context, "million", "patch_10_cold_background_index");
        var (v2, patchMs, patchCommitMs) = await PatchAsync(context, name, "latest", generation: 3);
        BenchContext.Report("million", "patch_10_create", patchMs, "ms");
        BenchContext.Report("million", "patch_10_commit", patchCommitMs, "ms");
        BenchContext.Report("million", "patch_10_total", patchMs + patchCommitMs, "ms");
        await IndexBacklogAsync(context, "million", "patch_10_background_index");
        _ = v2;
        await using (var scope = context.Services.CreateAsyncScope())
        {
            await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            var before = await db.VersionRanges.Where(r => r.VersionId == v0).Select(r => r.RangeDigest).ToListAsync();
            var after = await db.VersionRanges.Where(r => r.VersionId == v1).Select(r => r.RangeDigest).ToListAsync();
            BenchContext.Report("million", "ranges_in_version", after.Count, "ranges");
            BenchContext.Report("million", "patch_10_new_ranges", after.Except(before).Count(), "ranges");

            // Warm-up once (query compilation), then the median of five, with the slowest.
            var diff = await VersionDiff.ComputeAsync(db, v0, v1, default);
            var times = new List<double>();
            for (var round = 0; round < 5; round++)
                times.Add((await BenchContext.TimeAsync(() => VersionDiff.ComputeAsync(db, v0, v1, default))).Milliseconds);
            times.Sort();
            BenchContext.Report("million", "diff", times[2], "ms");
            BenchContext.Report("million", "diff_slowest_of_5", times[^1], "ms");
            BenchContext.Report("million", "diff_changes", diff.Items.Count, "changes");
        }

        var user = context.Team.Contributor.Principal;
        var slug = context.Team.Slug;
        var files = context.Services.GetRequiredService<VersionFiles>();
        await files.ListAsync(user, slug, v1, "", null, 200);
        foreach (var (figure, folder) in new[] { ("list_root", ""), ("list_data_folder", "data/"), ("list_shard_folder", "data/shard-0500/") })
        {
            var (page, ms) = await BenchContext.TimeAsync(() => files.ListAsync(user, slug, v1, folder, null, 200));
            BenchContext.Report("million", figure + "_first_page", ms, "ms");
            _ = page;
        }
    }

    /// <summary>Patches <paramref name="baseReference"/>: 5 files changed (spread over the version), 5 added in a new folder.</summary>
    private static async Task<(Guid VersionId, double CreateMs, double CommitMs)> PatchAsync(BenchContext context, string name, string baseReference, int generation)
    {
        var upserts = Enumerable.Range(0, 5).Select(k => (k * 199_999) + generation)
            .Select(i => new ManifestEntryModel(ManifestGenerator.PathOf(i), ManifestGenerator.DigestOf(i, generation), 42))
            .Concat(Enumerable.Range(0, 5).Select(k => new ManifestEntryModel($"data/new-{generation}/added-{k}.json", ManifestGenerator.DigestOf(k, generation + 1), 7)))
            .ToList();
        await context.MarkBlobsStoredAsync(upserts.Select(u => (u.Digest, u.Size)));
        var user = context.Team.Contributor.Principal;
        var slug = context.Team.Slug;
        var (created, createMs) = await BenchContext.TimeAsync(async () =>
        {
            await using var scope = context.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<CreateVersion>()
                .FromPatchAsync(user, slug, name, new NewVersionFields(null, "patch", null, null, null), baseReference, upserts, []);
        });
        var (_, commitMs) = await BenchContext.TimeAsync(async () =>
        {
            await using var scope = context.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<CommitVersion>().CommitAsync(user, slug, name, created.VersionId!.Value);
        });
        return (created.VersionId!.Value, createMs, commitMs);
    }

    internal static async Task<(Guid VersionId, double Milliseconds)> CreateAndCommitAsync(BenchContext context, string name, int count, string prefix = "")
    {
        var user = context.Team.Contributor.Principal;
        var slug = context.Team.Slug;
        return await BenchContext.TimeAsync(async () =>
        {
            await using var scope = context.Services.CreateAsyncScope();
            await using var body = ManifestGenerator.Ndjson(count, prefix);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var created = await scope.ServiceProvider.GetRequiredService<CreateVersion>()
                .FromNdjsonAsync(user, slug, name, new NewVersionFields("dataset", "benchmark", null, ["staging"], null), body);
            if (created.MissingDigests.Count > 0)
                throw new InvalidOperationException($"{created.MissingDigests.Count} blobs missing after set-up");
            BenchContext.Report(name, "create", watch.Elapsed.TotalMilliseconds, "ms");
            watch.Restart();
            var committed = await scope.ServiceProvider.GetRequiredService<CommitVersion>().CommitAsync(user, slug, name, created.VersionId!.Value);
            BenchContext.Report(name, "commit", watch.Elapsed.TotalMilliseconds, "ms");
            return committed.Version.Id;
        });
    }
}
