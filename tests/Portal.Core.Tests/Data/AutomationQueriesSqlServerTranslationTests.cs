using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Features.Automations;

namespace Portal.Core.Tests.Data;

/// <summary>The automation queries, checked for SQL Server translation (the API tests run them on SQLite and PostgreSQL).</summary>
public class AutomationQueriesSqlServerTranslationTests
{
    [Fact]
    public void The_dispatch_queries_translate()
    {
        using var db = MigrationsTests.ContextFor(DatabaseProvider.SqlServer);
        var rules = AutomationDispatch.EnabledRulesQuery(db, [Guid.NewGuid(), Guid.NewGuid()]).ToQueryString();
        Assert.Contains("[AutomationRules]", rules, StringComparison.Ordinal);
        Assert.Contains("[Enabled] = CAST(1 AS bit)", rules, StringComparison.Ordinal);

        var recent = AutomationDispatch.RecentRunsQuery(db, [Guid.NewGuid()], DateTimeOffset.UtcNow.AddHours(-1)).ToQueryString();
        Assert.Contains("GROUP BY [a].[RuleId]", recent, StringComparison.Ordinal);
        Assert.Contains("[Outcome] <> N'Skipped'", recent, StringComparison.Ordinal);

        var overdue = AutomationDispatch.OverdueQuery(db, DateTimeOffset.UtcNow).ToQueryString();
        Assert.Contains("TOP", overdue, StringComparison.Ordinal);
        Assert.Contains("N'Pending'", overdue, StringComparison.Ordinal);
        Assert.Contains("N'Running'", overdue, StringComparison.Ordinal);
    }

    [Fact]
    public void The_list_run_page_and_recipient_queries_translate()
    {
        using var db = MigrationsTests.ContextFor(DatabaseProvider.SqlServer);
        var last = Automations.LastRunsQuery(db, [Guid.NewGuid()]).ToQueryString();
        Assert.Contains("MAX([a0].[Id])", last, StringComparison.Ordinal);

        var page = Automations.RunsPageQuery(db, Guid.NewGuid(), 100, 51).ToQueryString();
        Assert.Contains("TOP", page, StringComparison.Ordinal);
        Assert.Contains("ORDER BY [a].[Id] DESC", page, StringComparison.Ordinal);

        var recipients = AutomationRunJob.RecipientsQuery(db, Guid.NewGuid()).ToQueryString();
        Assert.Contains("[AspNetUsers]", recipients, StringComparison.Ordinal);
    }
}
