using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Features.Runs;

namespace Portal.Core.Tests.Data;

/// <summary>The run queries, checked for SQL Server translation (the API tests run them on SQLite and PostgreSQL).</summary>
public class RunQueriesSqlServerTranslationTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Run_list_with_every_filter_and_a_continuation_translates(bool descending)
    {
        using var db = MigrationsTests.ContextFor(DatabaseProvider.SqlServer);
        var query = new RunListQuery("model_training", "finished", "someone@example.com", DateTimeOffset.UtcNow.AddDays(-7), DateTimeOffset.UtcNow);
        var filtered = Runs.Filter(db, Guid.NewGuid(), query);
        var sql = Runs.Page(filtered, descending, new RunPageToken(DateTimeOffset.UtcNow.AddDays(-1), Guid.NewGuid()))
            .Take(51)
            .Select(Runs.ListRow)
            .ToQueryString();
        Assert.Contains("[Runs]", sql, StringComparison.Ordinal);
        Assert.Contains("TOP", sql, StringComparison.Ordinal);
        Assert.Contains("[NormalizedEmail]", sql, StringComparison.Ordinal);
        Assert.Contains(descending ? "ORDER BY [r].[StartedAt] DESC, [r].[Id]" : "ORDER BY [r].[StartedAt], [r].[Id]", sql, StringComparison.Ordinal);
        // The list never reads the config, which can be a megabyte per run.
        Assert.DoesNotContain("[ConfigJson]", sql, StringComparison.Ordinal);

        var count = Runs.Filter(db, Guid.NewGuid(), query with { CreatedBy = "user-id" }).ToQueryString();
        Assert.Contains("[CreatedById]", count, StringComparison.Ordinal);
    }

    [Fact]
    public void Metric_reads_translate()
    {
        using var db = MigrationsTests.ContextFor(DatabaseProvider.SqlServer);
        var runId = Guid.NewGuid();
        List<string> keys = ["loss", "eval/recall_5"];
        var lastSteps = db.RunMetricPoints
            .Where(p => p.RunId == runId && keys.Contains(p.Key))
            .GroupBy(p => p.Key)
            .Select(g => new { g.Key, MaxStep = g.Max(p => p.Step) })
            .ToQueryString();
        Assert.Contains("GROUP BY", lastSteps, StringComparison.Ordinal);
        var history = db.RunMetricPoints
            .Where(p => p.RunId == runId && keys.Contains(p.Key))
            .OrderBy(p => p.Key).ThenBy(p => p.Step).ThenBy(p => p.Id)
            .Select(p => new { p.Key, p.Step, p.Value, p.LoggedAt })
            .ToQueryString();
        Assert.Contains("ORDER BY [r].[Key], [r].[Step], [r].[Id]", history, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_lineage_translates()
    {
        using var db = MigrationsTests.ContextFor(DatabaseProvider.SqlServer);
        var runId = Guid.NewGuid();
        var sql = db.LineageEdges
            .Where(e => e.RunId == runId)
            .OrderBy(e => e.CreatedAt).ThenBy(e => e.Id)
            .Select(e => new { e.Direction, e.VersionId, e.Version.Artifact.Name, e.Version.Artifact.Type, e.Version.Index, e.Version.ManifestDigest })
            .ToQueryString();
        Assert.Contains("[LineageEdges]", sql, StringComparison.Ordinal);
        Assert.Contains("[Artifacts]", sql, StringComparison.Ordinal);
    }
}
