using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Home;
using Portal.Core.Features.Promotions;
using Portal.Core.Features.Runs;
using Portal.Core.Features.Validation;
using Portal.TestCommon;

namespace Portal.Core.Tests.Features.Home;

/// <summary>The home page's sections on a real database: what waits for whom, news since "mark as seen", pins, health.</summary>
public abstract class HomeDashboardTests(PortalApp app)
{
    private async Task<HomeDashboardResponse> HomeOf(TestUser user)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<HomeDashboard>().GetAsync(user.Principal);
    }

    [SkippableFact]
    public async Task Reviews_requests_failed_validations_and_failed_runs_go_to_the_people_they_concern()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var first = await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "corpus", "dataset", null, "", ("a.txt", "one"));
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var services = scope.ServiceProvider;
            await services.GetRequiredService<PromotionPolicies>().SetAsync(team.Admin.Principal, team.Slug, "production", new PromotionPolicyRequest());
            await services.GetRequiredService<RequestPromotion>().RequestAsync(team.Contributor.Principal, team.Slug, "corpus", new CreatePromotionRequest("v0", "production"));
            var runs = services.GetRequiredService<Runs>();
            var run = await runs.CreateAsync(team.Contributor.Principal, team.Slug, new CreateRunRequest("model_training", "train-7"));
            await runs.FinishAsync(team.Contributor.Principal, team.Slug, run.Id, new FinishRunRequest("crashed"));
            await runs.CreateAsync(team.Contributor.Principal, team.Slug, new CreateRunRequest("model_training", "still-going"));
            await using var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            // The commit queued a validation; it ends as failed.
            await db.VersionValidations.Where(v => v.VersionId == first.Id).ExecuteUpdateAsync(s => s
                .SetProperty(v => v.State, BackgroundJobState.Failed).SetProperty(v => v.Errors, 3).SetProperty(v => v.Summary, "3 errors")
                .SetProperty(v => v.FinishedAt, DateTimeOffset.UtcNow));
        }

        var reviewer = await HomeOf(team.Reviewer);
        var review = Assert.Single(reviewer.ForMe.ReviewsWaiting);
        Assert.Equal(("corpus", "production", "v0"), (review.Artifact, review.Alias, review.Version));
        Assert.Equal(1, reviewer.ForMe.ReviewsWaitingTotal);
        Assert.Empty(reviewer.ForMe.MyOpenRequests);
        Assert.Empty(reviewer.ForMe.FailedValidations);

        var contributor = await HomeOf(team.Contributor);
        Assert.Empty(contributor.ForMe.ReviewsWaiting);
        Assert.Equal("production", Assert.Single(contributor.ForMe.MyOpenRequests).Alias);
        var failed = Assert.Single(contributor.ForMe.FailedValidations);
        Assert.Equal(("corpus", "v0", 3), (failed.Artifact, failed.Version, failed.Errors));
        var crashed = Assert.Single(contributor.ForMe.FailedRuns);
        Assert.Equal(("train-7", RunStatus.Crashed), (crashed.Name, crashed.Status));
        Assert.Null(contributor.Health);
    }

    [SkippableFact]
    public async Task News_counts_what_happened_in_my_projects_since_mark_as_seen_and_only_there()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var other = await app.Data.CreateProjectWithTeamAsync();
        await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "corpus", "dataset", null, "", ("a.txt", "one"));
        await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "corpus", "dataset", null, "", ("a.txt", "two"));
        await TestArtifacts.PublishAsync(app.Services, other.Contributor.Principal, other.Slug, "secret", "dataset", null, "", ("a.txt", "not yours"));
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var services = scope.ServiceProvider;
            await services.GetRequiredService<PromotionPolicies>().SetAsync(team.Admin.Principal, team.Slug, "production", new PromotionPolicyRequest());
            var aliases = services.GetRequiredService<ArtifactAliases>();
            await aliases.SetAsync(team.Admin.Principal, team.Slug, "corpus", "staging", new SetAliasRequest("v1", "try it"));
            var request = await services.GetRequiredService<RequestPromotion>().RequestAsync(team.Contributor.Principal, team.Slug, "corpus", new CreatePromotionRequest("v1", "production"));
            await services.GetRequiredService<DecidePromotion>().ApproveAsync(team.Reviewer.Principal, team.Slug, request.Id, new PromotionDecisionRequest("ok"));
        }

        var home = await HomeOf(team.Viewer);
        var news = Assert.Single(home.SinceLastLooked);
        Assert.Equal(team.Slug, news.Project);
        Assert.Equal(2, news.Counts[HomeDashboard.NewVersions]);
        Assert.Equal(1, news.Counts[HomeDashboard.ProtectedAliasMoves]);
        Assert.True(news.Counts[HomeDashboard.Decisions] >= 1);
        Assert.Contains(news.Latest, i => i.Description.StartsWith("production of corpus moved to v1", StringComparison.Ordinal));
        Assert.DoesNotContain(news.Latest, i => i.Description.Contains("staging", StringComparison.Ordinal));
        Assert.Contains(news.Latest, i => i.Description.StartsWith("corpus v1 committed", StringComparison.Ordinal) && i.Link == $"/projects/{team.Slug}/artifacts/corpus");
        Assert.Null(home.LastSeenAt);

        await using (var scope = app.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<HomeDashboard>().MarkSeenAsync(team.Viewer.Principal, home.UpToEventId);
        var seen = await HomeOf(team.Viewer);
        Assert.Empty(seen.SinceLastLooked);
        Assert.NotNull(seen.LastSeenAt);
        // Another person's "seen" is their own.
        Assert.Single((await HomeOf(team.Reviewer)).SinceLastLooked);

        await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "corpus", "dataset", null, "", ("a.txt", "three"));
        var later = Assert.Single((await HomeOf(team.Viewer)).SinceLastLooked);
        Assert.Equal(1, later.Counts[HomeDashboard.NewVersions]);
        Assert.False(later.Counts.ContainsKey(HomeDashboard.ProtectedAliasMoves));

        // Marking an older page as seen never brings back what a newer one already cleared.
        await using (var scope = app.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<HomeDashboard>().MarkSeenAsync(team.Viewer.Principal, 0);
        Assert.Equal(1, Assert.Single((await HomeOf(team.Viewer)).SinceLastLooked).Counts[HomeDashboard.NewVersions]);
    }

    [SkippableFact]
    public async Task Pins_show_latest_version_aliases_and_status_and_only_where_the_person_can_read()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var other = await app.Data.CreateProjectWithTeamAsync();
        await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "corpus", "dataset", null, "", ("a.txt", "one"));
        await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "corpus", "dataset", null, "", ("a.txt", "two"));
        await TestArtifacts.PublishAsync(app.Services, other.Contributor.Principal, other.Slug, "secret", "dataset", null, "", ("a.txt", "x"));
        await using var scope = app.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var pins = services.GetRequiredService<Pins>();
        var hidden = await services.GetRequiredService<ArtifactCatalog>().GetAsync(other.Viewer.Principal, other.Slug, "secret");
        var artifact = await services.GetRequiredService<ArtifactCatalog>().GetAsync(team.Viewer.Principal, team.Slug, "corpus");
        await services.GetRequiredService<ArtifactAliases>().SetAsync(team.Admin.Principal, team.Slug, "corpus", "staging", new SetAliasRequest("v0", "older"));
        var run = await services.GetRequiredService<Runs>().CreateAsync(team.Contributor.Principal, team.Slug, new CreateRunRequest("evaluation", "nightly-eval"));

        await pins.PinAsync(team.Viewer.Principal, team.Slug, PinKind.Artifact, artifact.Id);
        await pins.PinAsync(team.Viewer.Principal, team.Slug, PinKind.Artifact, artifact.Id);
        await pins.PinAsync(team.Viewer.Principal, team.Slug, PinKind.Run, run.Id);
        var refused = await Assert.ThrowsAsync<PortalException>(() => pins.PinAsync(team.Viewer.Principal, other.Slug, PinKind.Artifact, hidden.Id));
        Assert.Equal(404, refused.Status);
        var wrongProject = await Assert.ThrowsAsync<PortalException>(() => pins.PinAsync(other.Viewer.Principal, other.Slug, PinKind.Artifact, artifact.Id));
        Assert.Equal(404, wrongProject.Status);

        var home = await HomeOf(team.Viewer);
        Assert.Equal(2, home.Pins.Count);
        var pinnedArtifact = home.Pins[0];
        Assert.Equal(("corpus", "v1", "validation queued"), (pinnedArtifact.Name, pinnedArtifact.Latest, pinnedArtifact.Status));
        Assert.Contains("staging → v0", pinnedArtifact.Aliases);
        Assert.Equal(("nightly-eval", "running"), (home.Pins[1].Name, home.Pins[1].Status));
        Assert.True(await pins.IsPinnedAsync(team.Viewer.Principal, PinKind.Run, run.Id));

        await pins.UnpinAsync(team.Viewer.Principal, PinKind.Run, run.Id);
        Assert.Single((await HomeOf(team.Viewer)).Pins);
        Assert.Empty((await HomeOf(team.Reviewer)).Pins);
    }

    [SkippableFact]
    public async Task Site_admins_see_health_and_a_person_without_projects_sees_empty_sections()
    {
        app.SkipIfUnavailable();
        var admin = await app.Data.CreateUserAsync("site-admin", siteAdmin: true);
        var loner = await app.Data.CreateUserAsync("loner");

        var health = (await HomeOf(admin)).Health;
        Assert.NotNull(health);
        Assert.True(health.StoredBytes >= 0 && health.IntegrityFindings >= 0);

        var empty = await HomeOf(loner);
        Assert.Equal(0, empty.ProjectCount);
        Assert.Empty(empty.SinceLastLooked);
        Assert.Empty(empty.Pins);
        Assert.Empty(empty.ForMe.ReviewsWaiting);
        Assert.Null(empty.Health);
    }
}

public sealed class HomeDashboardTests_Sqlite(SqliteApp app) : HomeDashboardTests(app), IClassFixture<SqliteApp>;

public sealed class HomeDashboardTests_Postgres(PostgresApp app) : HomeDashboardTests(app), IClassFixture<PostgresApp>;

public sealed class HomeDashboardTests_SqlServer(SqlServerApp app) : HomeDashboardTests(app), IClassFixture<SqlServerApp>;
