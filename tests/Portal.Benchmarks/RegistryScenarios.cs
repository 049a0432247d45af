using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Registry;

namespace Portal.Benchmarks;

public static class RegistryScenarios
{
    /// <summary>
    /// Linking a 100,000-entry version into a registry collection on SQLite: the time of the link (the range list and
    /// the collection's blob possession are written, no range or blob is copied), the ranges it added (0), and the time
    /// of the collection's version list afterwards.
    /// </summary>
    public static async Task Link100kAsync(BenchContext context)
    {
        const int count = 100_000;
        await context.MarkBlobsStoredAsync(ManifestGenerator.Blobs(count));
        var (sourceId, _) = await VersionScenarios.CreateAndCommitAsync(context, "bench-registry-source", count, prefix: "registry/");
        var admin = context.Team.Admin.Principal;
        var name = "bench-registry-" + Guid.NewGuid().ToString("N")[..8];
        await using var scope = context.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        await services.GetRequiredService<RegistryCollections>().CreateAsync(admin, new CreateRegistryCollectionRequest(name, "dataset"));
        var dbFactory = services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        long rangesBefore;
        await using (var db = await dbFactory.CreateDbContextAsync())
            rangesBefore = await db.ManifestRanges.LongCountAsync();

        var (linked, linkMs) = await BenchContext.TimeAsync(() =>
            services.GetRequiredService<RegistryLinks>().LinkAsync(admin, name, new LinkRegistryVersionRequest(context.Team.Slug, "bench-registry-source", sourceId.ToString("D"))));
        BenchContext.Report("registry-link", "link_100k", linkMs, "ms");
        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            BenchContext.Report("registry-link", "ranges_added", await db.ManifestRanges.LongCountAsync() - rangesBefore, "ranges");
            BenchContext.Report("registry-link", "version_ranges_listed", await db.VersionRanges.LongCountAsync(r => r.VersionId == linked.Id), "rows");
        }
        var (_, listMs) = await BenchContext.TimeAsync(() => services.GetRequiredService<RegistryVersions>().ListAsync(admin, name));
        BenchContext.Report("registry-link", "version_list", listMs, "ms");
    }
}
