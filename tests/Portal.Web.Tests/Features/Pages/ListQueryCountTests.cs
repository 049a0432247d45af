using System.Diagnostics;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Projects;
using Portal.Core.Features.Runs;
using ProjectList = Portal.Core.Features.Projects.Projects;
using RunList = Portal.Core.Features.Runs.Runs;
using Portal.Core.Features.Search;

namespace Portal.Web.Tests.Features.Pages;

/// <summary>
/// The page models behind the list pages issue a fixed number of SQL commands whatever the number of rows: each is
/// called on a small project, rows are added, and the commands EF Core sends are counted again.
/// </summary>
public abstract class ListQueryCountTests(PortalApp app)
{
    [SkippableFact]
    public async Task List_pages_send_as_many_sql_commands_for_many_rows_as_for_few()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var user = team.Viewer.Principal;
        await AddRowsAsync(team, from: 0, count: 2);
        var few = await CountEachAsync(team, user);

        await AddRowsAsync(team, from: 2, count: 10);
        var many = await CountEachAsync(team, user);

        Assert.All(few, f => Assert.True(f.Value > 0, $"{f.Key} sent no SQL: the counter is not listening."));
        Assert.Equal(few, many);
    }

    private async Task AddRowsAsync(TestProject team, int from, int count)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var runs = scope.ServiceProvider.GetRequiredService<RunList>();
        var aliases = scope.ServiceProvider.GetRequiredService<ArtifactAliases>();
        for (var i = from; i < from + count; i++)
        {
            var run = await runs.CreateAsync(team.Contributor.Principal, team.Slug, new CreateRunRequest("data_processing", $"prepare-{i:D2}"));
            // Each artifact gets a version per round, so versions, aliases and runs all grow with the rows.
            await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, $"set-{i:D2}", "dataset", run.Id, "", ("a.csv", $"id\n{i}\n"));
            await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "shared", "dataset", run.Id, "",
                Enumerable.Range(0, i + 1).Select(k => ($"files/part-{k:D3}.txt", $"{k} of round {i}")).ToArray());
            await aliases.SetAsync(team.Admin.Principal, team.Slug, "shared", $"tag-{i:D2}", new SetAliasRequest("latest", "tagging"));
        }
    }

    private async Task<SortedDictionary<string, int>> CountEachAsync(TestProject team, ClaimsPrincipal user)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var catalog = services.GetRequiredService<ArtifactCatalog>();
        var overview = services.GetRequiredService<VersionOverview>();
        var slug = team.Slug;
        var versions = await catalog.ListVersionsAsync(user, slug, "shared", 100);
        var newest = versions.Items[0].Id;
        var oldest = versions.Items[^1].Id;

        var pages = new Dictionary<string, Func<Task>>
        {
            ["projects list"] = () => services.GetRequiredService<ProjectList>().ListAsync(user),
            ["dashboard"] = () => services.GetRequiredService<ProjectDashboard>().GetAsync(user, slug),
            ["home"] = () => services.GetRequiredService<Portal.Core.Features.Home.HomeDashboard>().GetAsync(user),
            ["artifacts list"] = () => catalog.ListAsync(user, slug),
            ["artifacts list by metadata"] = () => catalog.ListAsync(user, slug, metadata: "source=tests"),
            ["artifact versions table"] = () => catalog.ListVersionsAsync(user, slug, "shared", 100),
            ["versions' run names"] = () => overview.RunNamesAsync(user, slug, versions.Items.Select(v => v.CreatedByRunId ?? Guid.Empty)),
            ["alias timeline"] = () => services.GetRequiredService<AliasTimeline>().ListAsync(user, slug, "shared", includeLatest: true),
            ["runs list"] = () => services.GetRequiredService<RunList>().ListAsync(user, slug, new RunListQuery(Limit: 100)),
            ["version files"] = () => services.GetRequiredService<VersionFiles>().ListAsync(user, slug, newest, "files/", null, 200),
            ["compare"] = () => services.GetRequiredService<VersionDiff>().DiffAsync(user, slug, oldest, slug, newest, null, null, 500),
            ["search"] = () => services.GetRequiredService<PortalSearch>().SearchAsync(user, "set", 50),
        };
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var (page, load) in pages)
            counts[page] = await SqlCommandCounter.CountAsync(load);
        return counts;
    }
}

/// <summary>
/// Counts the SQL commands EF Core executes inside one asynchronous flow, through its diagnostic events (so the app
/// needs no test hooks, and commands of tests running at the same time are not counted).
/// </summary>
public static class SqlCommandCounter
{
    private static readonly AsyncLocal<StrongBox> Current = new();
    private static readonly IDisposable Subscription = DiagnosticListener.AllListeners.Subscribe(new ListenerObserver());

    public static async Task<int> CountAsync(Func<Task> action)
    {
        GC.KeepAlive(Subscription);
        var box = new StrongBox();
        Current.Value = box;
        try
        {
            await action();
        }
        finally
        {
            Current.Value = null!;
        }

        return box.Count;
    }

    private sealed class StrongBox
    {
        public int Count;
    }

    private sealed class ListenerObserver : IObserver<DiagnosticListener>
    {
        public void OnNext(DiagnosticListener listener)
        {
            if (listener.Name == DbLoggerCategory.Name)
                listener.Subscribe(new CommandObserver());
        }

        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }
    }

    private sealed class CommandObserver : IObserver<KeyValuePair<string, object?>>
    {
        public void OnNext(KeyValuePair<string, object?> value)
        {
            if (value.Key == RelationalEventId.CommandExecuting.Name && Current.Value is { } box)
                Interlocked.Increment(ref box.Count);
        }

        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }
    }
}

public sealed class ListQueryCountTests_Sqlite(SqliteApp app) : ListQueryCountTests(app), IClassFixture<SqliteApp>;

public sealed class ListQueryCountTests_Postgres(PostgresApp app) : ListQueryCountTests(app), IClassFixture<PostgresApp>;

public sealed class ListQueryCountTests_SqlServer(SqlServerApp app) : ListQueryCountTests(app), IClassFixture<SqlServerApp>;
