using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Client.Models;
using Portal.Core.Features.Projects;
using Portal.Core.Features.Promotions;
using Portal.Core.Features.Runs;
using Portal.TestCommon;

namespace Portal.Core.Tests.Features.Projects;

public abstract class ProjectDashboardTests(PortalApp app)
{
    [SkippableFact]
    public async Task Counts_storage_with_dedup_charts_and_activity_cover_only_the_project()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var other = await app.Data.CreateProjectWithTeamAsync();
        var admin = team.Admin.Principal;
        var shared = new string('s', 1000);
        await TestArtifacts.PublishAsync(app.Services, admin, team.Slug, "corpus", "dataset", null, "", ("a.txt", shared), ("b.txt", "one"));
        await TestArtifacts.PublishAsync(app.Services, admin, team.Slug, "corpus", "dataset", null, "", ("a.txt", shared), ("b.txt", "two"), ("c.txt", shared));
        await TestArtifacts.PublishAsync(app.Services, admin, team.Slug, "model", "model", null, "", ("w.bin", "weights"));
        await TestArtifacts.PublishAsync(app.Services, other.Admin.Principal, other.Slug, "elsewhere", "dataset", null, "", ("x.txt", "not ours"));
        await using (var scope = app.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<Runs>().CreateAsync(admin, team.Slug, new CreateRunRequest("model_training", "train"));

        await using var reading = app.Services.CreateAsyncScope();
        var dashboard = await reading.ServiceProvider.GetRequiredService<ProjectDashboard>().GetAsync(team.Viewer.Principal, team.Slug);

        Assert.Equal(2, dashboard.ArtifactCount);
        Assert.Equal(3, dashboard.VersionCount);
        Assert.Equal(3, dashboard.VersionsThisWeek);
        Assert.Equal(1, dashboard.RunCount);
        Assert.Equal(0, dashboard.PendingApprovals);
        Assert.Equal((1000 + 3) + (1000 + 3 + 1000) + 7, dashboard.LogicalBytes);
        Assert.Equal(1000 + 3 + 3 + 7, dashboard.StoredBytes);
        Assert.True(dashboard.DedupRatio > 2.9);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        Assert.Contains(new VersionsPerDay(today, "dataset", 2), dashboard.VersionsPerDay);
        Assert.Contains(new VersionsPerDay(today, "model", 1), dashboard.VersionsPerDay);
        Assert.Equal("started run train", dashboard.Activity[0].Description);
        Assert.Contains(dashboard.Activity, a => a.Description == "committed corpus v1");
        Assert.DoesNotContain(dashboard.Activity, a => a.Description.Contains("elsewhere", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Pending_approvals_count_the_projects_requests_that_wait_for_a_reviewer()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var other = await app.Data.CreateProjectWithTeamAsync();
        await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "corpus", "dataset", null, "", ("a.txt", "one"));
        await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "corpus", "dataset", null, "", ("a.txt", "two"));
        await TestArtifacts.PublishAsync(app.Services, other.Contributor.Principal, other.Slug, "corpus", "dataset", null, "", ("a.txt", "elsewhere"));
        await using var scope = app.Services.CreateAsyncScope();
        var policies = scope.ServiceProvider.GetRequiredService<PromotionPolicies>();
        var requests = scope.ServiceProvider.GetRequiredService<RequestPromotion>();
        var decisions = scope.ServiceProvider.GetRequiredService<DecidePromotion>();
        var dashboard = scope.ServiceProvider.GetRequiredService<ProjectDashboard>();
        await policies.SetAsync(team.Admin.Principal, team.Slug, "production", new PromotionPolicyRequest());
        await policies.SetAsync(other.Admin.Principal, other.Slug, "production", new PromotionPolicyRequest());
        Assert.Equal(0, (await dashboard.GetAsync(team.Viewer.Principal, team.Slug)).PendingApprovals);

        var request = await requests.RequestAsync(team.Contributor.Principal, team.Slug, "corpus", new CreatePromotionRequest("v1", "production"));
        await requests.RequestAsync(other.Contributor.Principal, other.Slug, "corpus", new CreatePromotionRequest("v0", "production"));
        Assert.Equal(1, (await dashboard.GetAsync(team.Viewer.Principal, team.Slug)).PendingApprovals);

        await decisions.RejectAsync(team.Reviewer.Principal, team.Slug, request.Id, new PromotionDecisionRequest("not yet"));
        Assert.Equal(0, (await dashboard.GetAsync(team.Viewer.Principal, team.Slug)).PendingApprovals);
    }

    [SkippableFact]
    public async Task An_empty_project_has_zeroes_and_a_ratio_of_one()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        await using var scope = app.Services.CreateAsyncScope();
        var dashboard = await scope.ServiceProvider.GetRequiredService<ProjectDashboard>().GetAsync(team.Viewer.Principal, team.Slug);
        Assert.Equal(0, dashboard.ArtifactCount);
        Assert.Equal(0, dashboard.StoredBytes);
        Assert.Equal(1, dashboard.DedupRatio);
        Assert.Empty(dashboard.VersionsPerDay);
    }

    [SkippableFact]
    public async Task Non_members_are_refused()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var stranger = await app.Data.CreateUserAsync("stranger");
        await using var scope = app.Services.CreateAsyncScope();
        var error = await Assert.ThrowsAsync<PortalException>(() => scope.ServiceProvider.GetRequiredService<ProjectDashboard>().GetAsync(stranger.Principal, team.Slug));
        Assert.Contains(error.Status, new[] { 403, 404 });
    }
}

public sealed class ProjectDashboardTests_Sqlite(SqliteApp app) : ProjectDashboardTests(app), IClassFixture<SqliteApp>;

public sealed class ProjectDashboardTests_Postgres(PostgresApp app) : ProjectDashboardTests(app), IClassFixture<PostgresApp>;

public sealed class ProjectDashboardTests_SqlServer(SqlServerApp app) : ProjectDashboardTests(app), IClassFixture<SqlServerApp>;

/// <summary>The dashboard's set-based queries translate for SQL Server too (the tests above run them on SQLite and PostgreSQL).</summary>
public class ProjectDashboardSqlServerTranslationTests
{
    [Fact]
    public void Storage_and_activity_queries_translate_to_single_statements()
    {
        using var db = Portal.Core.Tests.Data.MigrationsTests.ContextFor(Portal.Core.Data.DatabaseProvider.SqlServer);
        var storage = ProjectDashboard.ReferencedBlobs(db, Guid.NewGuid()).Select(b => b.Size).ToQueryString();
        Assert.Contains("[StoredBlobs]", storage, StringComparison.Ordinal);
        Assert.Contains("[RangeEntries]", storage, StringComparison.Ordinal);
        Assert.Contains("[VersionRanges]", storage, StringComparison.Ordinal);

        var awaiting = PromotionQueries.AwaitingReviewers(db, Guid.NewGuid()).ToQueryString();
        Assert.Contains("[PromotionPolicies]", awaiting, StringComparison.Ordinal);

        var activity = ProjectDashboard.LatestEvents(db, Guid.NewGuid()).ToQueryString();
        Assert.Contains("TOP", activity, StringComparison.Ordinal);
        Assert.Contains("LEFT JOIN", activity, StringComparison.Ordinal);
    }
}
