using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Client.Evidence;
using Portal.Client.Manifests;
using Portal.Core.Data;
using Portal.Core.Features.Auditing;
using Portal.Core.Features.Evidence;
using Portal.Core.Features.Lineage;
using Portal.TestCommon;

namespace Portal.Benchmarks;

public static class EvidenceScenarios
{
    /// <summary>
    /// An evidence pack for a 100,000-file version with 200 upstream versions and 200 runs and about 5,000 audit records
    /// about them: the export (target under 10 s) and the offline verification with the portal's keys (under 5 s), with
    /// the pack's size and the machine's load.
    /// </summary>
    public static async Task RunAsync(BenchContext context)
    {
        const int count = 100_000, upstream = 200, auditRecords = 5_000;
        await context.MarkBlobsStoredAsync(ManifestGenerator.Blobs(count));
        var (subjectId, _) = await VersionScenarios.CreateAndCommitAsync(context, "bench-evidence", count, prefix: "evidence/");

        // A chain of 200 runs, each reading the previous version and writing the next; the last feeds the subject.
        var lineage = new TestLineage(context.Team.Project.Id);
        var artifact = lineage.Artifact("bench-evidence-upstream", "dataset");
        var versions = new List<Guid>();
        var runs = new List<Guid>();
        for (var i = 0; i < upstream; i++)
        {
            versions.Add(lineage.Version(artifact));
            runs.Add(lineage.Run($"step-{i}", "data_processing"));
            if (i > 0)
                lineage.Used(runs[i], versions[i - 1]);
            lineage.Produced(runs[i], versions[i]);
        }
        var last = lineage.Run("final", "data_processing");
        lineage.Used(last, versions[^1]);
        lineage.Produced(last, subjectId);
        await lineage.SaveAsync(context.Services);

        await using var scope = context.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var dbFactory = services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            // The generated versions hold no files: give them the digest of the empty manifest, so the pack verifies.
            var empty = ManifestAlgorithm.ComputeManifestDigest([]);
            await db.ArtifactVersions.Where(v => versions.Contains(v.Id)).ExecuteUpdateAsync(s => s.SetProperty(v => v.ManifestDigest, empty));
        }

        var targets = versions.Select(v => ("artifact_version", v)).Concat(runs.Select(r => ("run", r))).Append(("artifact_version", subjectId)).ToList();
        for (var batch = 0; batch < auditRecords / 1000; batch++)
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            for (var i = 0; i < 1000; i++)
            {
                var (type, id) = targets[(batch * 1000 + i) % targets.Count];
                db.Record(DateTimeOffset.UtcNow, context.Team.Admin.Id, context.Team.Project.Id, "bench.noted", type, id.ToString(), after: new { note = i });
            }
            await db.SaveChangesAsync();
        }

        var file = Path.Combine(Path.GetTempPath(), $"bench-evidence-{Guid.NewGuid():N}.zip");
        try
        {
            var load = BenchContext.LoadAverage();
            var (pack, exportMs) = await BenchContext.TimeAsync(async () =>
            {
                await using var output = File.Create(file);
                return await services.GetRequiredService<EvidenceExport>().ExportAsync(context.Team.Viewer.Principal, context.Team.Slug,
                    new EvidenceRequest($"bench-evidence:{subjectId}"), output);
            });
            BenchContext.Report("evidence", "export", exportMs / 1000, "s");
            BenchContext.Report("evidence", "pack_size", new FileInfo(file).Length / 1024.0 / 1024.0, "MB");
            var keys = (await services.GetRequiredService<EvidenceKeys>().ListAsync()).Keys;
            var (verdict, verifyMs) = await BenchContext.TimeAsync(() => EvidenceVerifier.VerifyFileAsync(file, keys));
            BenchContext.Report("evidence", "verify", verifyMs / 1000, "s");
            BenchContext.Report("evidence", "claims_failed", verdict.Claims.Count(c => !c.Passed), "claims");
            BenchContext.Report("evidence", "load_average", load, "1-min");
            foreach (var claim in verdict.Claims.Where(c => !c.Passed))
                Console.Error.WriteLine($"FAIL {claim.Name}: {claim.Detail}");
            _ = pack;
        }
        finally
        {
            File.Delete(file);
        }
    }
}
