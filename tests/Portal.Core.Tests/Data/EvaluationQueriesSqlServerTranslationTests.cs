using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Evaluations;

namespace Portal.Core.Tests.Data;

/// <summary>The evaluation queries, checked for SQL Server translation (the feature tests run them on SQLite and PostgreSQL).</summary>
public class EvaluationQueriesSqlServerTranslationTests
{
    [Fact]
    public void The_list_with_filters_translates()
    {
        using var db = MigrationsTests.ContextFor(DatabaseProvider.SqlServer);
        var sql = EvaluationQueries.Listings(db, Guid.NewGuid(), subject: "index", evalSet: "golden", limit: 100).ToQueryString();
        var one = EvaluationQueries.Listings(db, Guid.NewGuid(), id: Guid.NewGuid()).ToQueryString();
        Assert.Contains("[Evaluations]", one, StringComparison.Ordinal);
        Assert.Contains("[Evaluations]", sql, StringComparison.Ordinal);
        Assert.Contains("LEFT JOIN [AspNetUsers]", sql, StringComparison.Ordinal);
        Assert.Contains("TOP", sql, StringComparison.Ordinal);
    }

    [Fact]
    public void The_matrix_and_its_metrics_translate()
    {
        using var db = MigrationsTests.ContextFor(DatabaseProvider.SqlServer);
        var points = EvaluationMatrix.Points(db, Guid.NewGuid(), "recall@5").ToQueryString();
        Assert.Contains("[EvaluationScores]", points, StringComparison.Ordinal);
        Assert.Contains("[SubjectArtifactId]", points, StringComparison.Ordinal);
        var metrics = EvaluationMatrix.Metrics(db, Guid.NewGuid()).ToQueryString();
        Assert.Contains("DISTINCT", metrics, StringComparison.Ordinal);
        Assert.Contains("EXISTS", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public void The_newest_value_of_a_pair_translates()
    {
        using var db = MigrationsTests.ContextFor(DatabaseProvider.SqlServer);
        var sql = CompareEvaluations.Values(db, Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), "acc").Take(1).ToQueryString();
        Assert.Contains("ORDER BY [e].[CreatedAt] DESC, [e].[Id] DESC", sql, StringComparison.Ordinal);
        Assert.Contains("[Mean] IS NOT NULL", sql, StringComparison.Ordinal);
    }

    [Fact]
    public void Garbage_collection_counts_an_evaluation_as_naming_its_rows_blob()
    {
        using var db = MigrationsTests.ContextFor(DatabaseProvider.SqlServer);
        var sql = db.StoredBlobs.Where(b => b.UnreferencedSince == null).WhereNotNamed(db).ToQueryString();
        Assert.Contains("[Evaluations]", sql, StringComparison.Ordinal);
        Assert.Contains("[RowsDigest]", sql, StringComparison.Ordinal);
    }
}
