using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Lineage;
using Portal.TestCommon;

namespace Portal.Core.Tests.Data;

public abstract class DemoDataTests(PortalApp app)
{
    [SkippableFact]
    public async Task The_demo_seed_builds_a_rag_pipeline_with_versions_aliases_and_lineage_once()
    {
        app.SkipIfUnavailable();
        await using var scope = app.Services.CreateAsyncScope();
        var demo = scope.ServiceProvider.GetRequiredService<DemoData>();
        var logins = await demo.SeedAsync(PortalApp.AdminEmail);
        Assert.Equal(2, logins.Count);
        Assert.Empty(await demo.SeedAsync(PortalApp.AdminEmail));

        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var project = await db.Projects.SingleAsync(p => p.Slug == DemoData.ProjectSlug);
        var artifacts = await db.Artifacts.Where(a => a.ProjectId == project.Id)
            .Select(a => new { a.Name, a.Type, Versions = db.ArtifactVersions.Count(v => v.ArtifactId == a.Id && v.State == VersionState.Committed) })
            .ToDictionaryAsync(a => a.Name);
        Assert.Equal(("documents", 3), (artifacts["support-docs"].Type, artifacts["support-docs"].Versions));
        Assert.Equal(("chunks", 2), (artifacts["support-chunks"].Type, artifacts["support-chunks"].Versions));
        Assert.Equal(("index", 2), (artifacts["support-index"].Type, artifacts["support-index"].Versions));
        Assert.Equal(("eval", 1), (artifacts["support-eval"].Type, artifacts["support-eval"].Versions));

        var aliasNames = await db.Aliases.Where(a => db.Artifacts.Any(x => x.Id == a.ArtifactId && x.ProjectId == project.Id)).Select(a => a.Name).ToListAsync();
        Assert.Contains("production", aliasNames);
        Assert.Contains("staging", aliasNames);
        Assert.Contains("golden", aliasNames);

        var edges = await db.LineageEdges.Where(e => e.ProjectId == project.Id).ToListAsync();
        Assert.True(edges.Count(e => e.Direction == LineageDirection.Used) >= 4);
        Assert.True(edges.Count(e => e.Direction == LineageDirection.Produced) >= 7);
        // Every blob the demo versions name is in the store.
        var missing = await db.VersionRanges
            .Join(db.RangeEntries, vr => vr.RangeDigest, e => e.RangeDigest, (vr, e) => e.Digest)
            .Where(d => !db.StoredBlobs.Any(b => b.Digest == d))
            .CountAsync();
        Assert.Equal(0, missing);

        // The demo admin reads a weekly digest of the demo project.
        var adminId = await db.Users.Where(u => u.Email == PortalApp.AdminEmail).Select(u => u.Id).SingleAsync();
        var digest = await db.DigestSubscriptions.SingleAsync(s => s.ProjectId == project.Id && s.UserId == adminId);
        Assert.Equal(Portal.Core.Features.Reports.DigestFrequency.Weekly, digest.Frequency);

        // Evaluations of both index versions on golden:v0 and golden:v1, and the pending promotion gated by one.
        Assert.Equal(("eval", 2), (artifacts["golden"].Type, artifacts["golden"].Versions));
        Assert.Equal(4, await db.Evaluations.CountAsync(e => e.ProjectId == project.Id));
        var admin = DemoData.PrincipalFor(adminId);
        var pending = Assert.Single(await scope.ServiceProvider.GetRequiredService<Portal.Core.Features.Promotions.PromotionQueries>().ListAsync(admin, DemoData.ProjectSlug, "open", null, null));
        var detail = await scope.ServiceProvider.GetRequiredService<Portal.Core.Features.Promotions.PromotionQueries>().GetAsync(admin, DemoData.ProjectSlug, pending.Id);
        var gate = Assert.Single(detail.Checks, c => c.Name == Portal.Core.Features.Promotions.PromotionChecks.Evaluation);
        Assert.Contains("recall@5 = ", gate.Summary, StringComparison.Ordinal);
        Assert.Contains("on golden:v1", gate.Summary, StringComparison.Ordinal);

        // The collection's automation: version linked → compare, with one run for the second link.
        var collection = await db.Projects.SingleAsync(p => p.Slug == Portal.Core.Features.Registry.DemoRegistry.CollectionName);
        var rule = await db.AutomationRules.SingleAsync(r => r.ProjectId == collection.Id);
        Assert.Equal(("version.linked", "compare"), (rule.Trigger, rule.Action));
        var run = await db.AutomationRuns.SingleAsync(r => r.RuleId == rule.Id);
        Assert.Equal(Portal.Core.Features.Automations.AutomationOutcome.Succeeded, run.Outcome);
        Assert.Contains("support-retriever:v0 → support-retriever:v1", run.Message, StringComparison.Ordinal);
    }
}

public sealed class DemoDataTests_Sqlite(SqliteApp app) : DemoDataTests(app), IClassFixture<SqliteApp>;

public sealed class DemoDataTests_Postgres(PostgresApp app) : DemoDataTests(app), IClassFixture<PostgresApp>;
