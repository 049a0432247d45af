using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Client;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.TestCommon;

namespace Portal.Core.Tests.Features.Artifacts;

/// <summary>The unit of work every artifact write runs in: lock, retry, actions after the commit.</summary>
public abstract class ArtifactWritesTests(PortalApp app)
{
    private async Task<Guid> NewArtifactAsync()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        await TestManifests.StoreCommittedVersionAsync(app.Services, team.Project.Id, "corpus", [TestManifests.Entry("a.txt")]);
        return await app.WithServicesAsync(async s =>
        {
            await using var db = await s.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await db.Artifacts.Where(a => a.ProjectId == team.Project.Id).Select(a => a.Id).SingleAsync();
        });
    }

    private Task<T> RunAsync<T>(Guid artifactId, Func<ArtifactWrite, Task<T>> work) =>
        app.WithServicesAsync(s => s.GetRequiredService<ArtifactWrites>().RunAsync(artifactId, work, CancellationToken.None));

    private Task<string> DescriptionAsync(Guid artifactId) =>
        app.WithServicesAsync(async s =>
        {
            await using var db = await s.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await db.Artifacts.Where(a => a.Id == artifactId).Select(a => a.Description).SingleAsync();
        });

    [SkippableFact]
    public async Task Changes_are_saved_and_actions_after_the_commit_run_once_and_see_them()
    {
        app.SkipIfUnavailable();
        var artifactId = await NewArtifactAsync();
        var seen = new List<string>();

        var result = await RunAsync(artifactId, write =>
        {
            write.Artifact.Description = "saved by the unit";
            write.AfterCommit("read back", async _ => seen.Add(await DescriptionAsync(artifactId)));
            return Task.FromResult(42);
        });

        Assert.Equal(42, result);
        Assert.Equal(["saved by the unit"], seen);
        Assert.Equal("saved by the unit", await DescriptionAsync(artifactId));
    }

    [SkippableFact]
    public async Task A_lost_race_is_retried_from_the_start_and_only_the_winning_attempts_actions_run()
    {
        app.SkipIfUnavailable();
        var artifactId = await NewArtifactAsync();
        var attempts = 0;
        var ran = new List<int>();

        await RunAsync(artifactId, write =>
        {
            var attempt = ++attempts;
            write.Artifact.Description = $"attempt {attempt}";
            write.AfterCommit("record", _ =>
            {
                ran.Add(attempt);
                return Task.CompletedTask;
            });
            if (attempt < 3)
                throw new DbUpdateConcurrencyException("another writer won");
            return Task.FromResult(true);
        });

        Assert.Equal(3, attempts);
        Assert.Equal([3], ran);
        Assert.Equal("attempt 3", await DescriptionAsync(artifactId));
    }

    [SkippableFact]
    public async Task A_refusal_rolls_back_everything_and_runs_no_action()
    {
        app.SkipIfUnavailable();
        var artifactId = await NewArtifactAsync();
        var ran = false;

        var refusal = await Assert.ThrowsAsync<PortalException>(() => RunAsync<bool>(artifactId, write =>
        {
            write.Artifact.Description = "never saved";
            write.AfterCommit("never", _ =>
            {
                ran = true;
                return Task.CompletedTask;
            });
            throw PortalException.Conflict(ErrorCodes.AliasProtected, "refused");
        }));

        Assert.Equal(ErrorCodes.AliasProtected, refusal.Code);
        Assert.False(ran);
        Assert.Equal("", await DescriptionAsync(artifactId));
    }

    [SkippableFact]
    public async Task A_failing_action_after_the_commit_leaves_the_write_standing()
    {
        app.SkipIfUnavailable();
        var artifactId = await NewArtifactAsync();
        var second = false;

        await RunAsync(artifactId, write =>
        {
            write.Artifact.Description = "stands";
            write.AfterCommit("fails", _ => throw new InvalidOperationException("mail server down"));
            write.AfterCommit("still runs", _ =>
            {
                second = true;
                return Task.CompletedTask;
            });
            return Task.FromResult(true);
        });

        Assert.True(second);
        Assert.Equal("stands", await DescriptionAsync(artifactId));
    }

    [SkippableFact]
    public async Task Parallel_read_modify_writes_of_one_artifact_lose_no_update()
    {
        app.SkipIfUnavailable();
        var artifactId = await NewArtifactAsync();
        const int writers = 12;

        // Each unit reads the counter and writes it back one higher: without the row lock, two would read the same value.
        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(() => RunAsync(artifactId, async write =>
        {
            var current = write.Artifact.Description.Length;
            await Task.Delay(5);
            write.Artifact.Description = new string('x', current + 1);
            return true;
        }))));

        Assert.Equal(writers, (await DescriptionAsync(artifactId)).Length);
    }

    [SkippableFact]
    public async Task A_missing_artifact_is_reported_as_not_found()
    {
        app.SkipIfUnavailable();
        var failure = await Assert.ThrowsAsync<PortalException>(() => RunAsync(Guid.NewGuid(), _ => Task.FromResult(true)));
        Assert.Equal(ErrorCodes.ArtifactNotFound, failure.Code);
    }
}

public sealed class ArtifactWritesTests_Sqlite(SqliteApp app) : ArtifactWritesTests(app), IClassFixture<SqliteApp>;

public sealed class ArtifactWritesTests_Postgres(PostgresApp app) : ArtifactWritesTests(app), IClassFixture<PostgresApp>;

public sealed class ArtifactWritesTests_SqlServer(SqlServerApp app) : ArtifactWritesTests(app), IClassFixture<SqlServerApp>;
