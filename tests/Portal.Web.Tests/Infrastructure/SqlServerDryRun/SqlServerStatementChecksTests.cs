using System.Data;

namespace Portal.Web.Tests.Infrastructure.SqlServerDryRun;

/// <summary>The dry run's checks find each hazard they are written for, and pass the statements EF Core writes.</summary>
public sealed class SqlServerStatementChecksTests
{
    private static IReadOnlyList<string> Check(string sql, params RecordedParameter[] parameters) =>
        SqlServerStatementChecks.Check(sql, parameters, out _);

    [Fact]
    public void A_Unicode_parameter_against_a_char_column_is_an_implicit_conversion()
    {
        const string sql = """
            SELECT [r].[Path] FROM [RangeEntries] AS [r] WHERE [r].[RangeDigest] = @range
            """;
        var problems = Check(sql, new RecordedParameter("@range", SqlDbType.NVarChar, 4000, typeof(string)));
        Assert.Contains(problems, p => p.Contains("implicit conversion", StringComparison.Ordinal) && p.Contains("RangeDigest", StringComparison.Ordinal));
        Assert.Empty(Check(sql, new RecordedParameter("@range", SqlDbType.Char, 64, typeof(string))));
    }

    [Fact]
    public void A_Unicode_parameter_in_an_IN_list_or_against_an_unaliased_varchar_column_is_found()
    {
        Assert.NotEmpty(Check("DELETE FROM [UnindexedRanges] WHERE [RangeDigest] IN (@a, @b)",
            new RecordedParameter("@a", SqlDbType.Char, 64, typeof(string)), new RecordedParameter("@b", SqlDbType.NVarChar, 64, typeof(string))));
        Assert.NotEmpty(Check("SELECT 1 FROM [Projects] WHERE [Slug] = @slug", new RecordedParameter("@slug", SqlDbType.NVarChar, 64, typeof(string))));
        // An nvarchar column compared with an nvarchar parameter converts nothing.
        Assert.Empty(Check("SELECT 1 FROM [Projects] AS [p] WHERE [p].[Name] = @name", new RecordedParameter("@name", SqlDbType.NVarChar, 200, typeof(string))));
    }

    [Fact]
    public void More_than_2100_parameters_in_one_command_are_refused()
    {
        var parameters = Enumerable.Range(0, 2101).Select(i => new RecordedParameter("@p" + i, SqlDbType.UniqueIdentifier, 16, typeof(Guid))).ToArray();
        var sql = "SELECT 1 FROM [Artifacts] AS [a] WHERE [a].[Id] IN (" + string.Join(", ", parameters.Select(p => p.Name)) + ")";
        Assert.Contains(Check(sql, parameters), p => p.Contains("2100", StringComparison.Ordinal));
        Assert.Empty(Check(sql, parameters[..2100]));
    }

    [Fact]
    public void A_statement_that_is_not_TSql_is_refused()
    {
        Assert.Contains(Check("""WITH RECURSIVE reached("Id") AS (SELECT 1) SELECT "Id" FROM reached"""), p => p.Contains("does not parse", StringComparison.Ordinal));
        Assert.Contains(Check("SELECT 1 LIMIT 1"), p => p.Contains("does not parse", StringComparison.Ordinal));
    }

    [Fact]
    public void Lock_statements_lock_one_row()
    {
        Assert.Empty(Check("UPDATE [a] SET [a].[NextVersionIndex] = [a].[NextVersionIndex] FROM [Artifacts] AS [a] WHERE [a].[Id] = @id",
            new RecordedParameter("@id", SqlDbType.UniqueIdentifier, 16, typeof(Guid))));
        Assert.NotEmpty(Check("UPDATE [a] SET [a].[NextVersionIndex] = [a].[NextVersionIndex] FROM [Artifacts] AS [a] WHERE [a].[ProjectId] > @id",
            new RecordedParameter("@id", SqlDbType.UniqueIdentifier, 16, typeof(Guid))));
        Assert.NotEmpty(Check($"-- {SqlServerStatementChecks.RowLockTag}\nSELECT [h].[Sequence] FROM [AuditChainHeads] AS [h] WHERE [h].[Id] = 1"));
        Assert.Empty(Check($"-- {SqlServerStatementChecks.RowLockTag}\nSELECT [h].[Sequence] FROM [AuditChainHeads] AS [h] WITH (UPDLOCK, ROWLOCK) WHERE [h].[Id] = 1"));
    }

    [Fact]
    public void Normalising_leaves_out_parameter_names_and_list_lengths()
    {
        Assert.Equal(
            SqlServerDryRun.Normalise("SELECT 1 FROM [T] WHERE [Id] IN (@ids1, @ids2,\n @ids3)"),
            SqlServerDryRun.Normalise("SELECT 1 FROM [T]   WHERE [Id] IN (@x)"));
    }
}
