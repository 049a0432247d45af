using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Features.Lineage;

namespace Portal.Core.Tests.Data;

/// <summary>The lineage hops, checked for SQL Server translation (the API tests run them on SQLite and PostgreSQL).</summary>
public class LineageQueriesSqlServerTranslationTests
{
    [Theory]
    [InlineData(true, LineageWalkDirection.Down)]
    [InlineData(false, LineageWalkDirection.Down)]
    [InlineData(true, LineageWalkDirection.Up)]
    [InlineData(false, LineageWalkDirection.Up)]
    public void Every_hop_translates_as_one_query_for_the_whole_frontier(bool fromRuns, LineageWalkDirection direction)
    {
        using var db = MigrationsTests.ContextFor(DatabaseProvider.SqlServer);
        var frontier = Enumerable.Range(0, 50).Select(_ => Guid.NewGuid()).ToList();

        var pairs = LineageHops.PairsQuery(db, fromRuns, frontier, direction, 100, "chunks").ToQueryString();
        Assert.Contains("[LineageEdges]", pairs, StringComparison.Ordinal);
        Assert.Contains("TOP", pairs, StringComparison.Ordinal);
        Assert.Contains("ORDER BY", pairs, StringComparison.Ordinal);

        var counts = LineageHops.CountsQuery(db, fromRuns, frontier, direction).ToQueryString();
        Assert.Contains("GROUP BY", counts, StringComparison.Ordinal);
        Assert.Contains("COUNT(*)", counts, StringComparison.Ordinal);

        var neighbours = LineageHops.NeighboursQuery(db, fromRuns, frontier, direction).ToQueryString();
        Assert.Contains("DISTINCT", neighbours, StringComparison.Ordinal);
        Assert.Contains(fromRuns ? "[RunId] IN" : "[VersionId] IN", neighbours, StringComparison.Ordinal);
    }
}
