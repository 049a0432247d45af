using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Lineage;
using Portal.Core.Features.Runs;

namespace Portal.Web.Tests.Features.Artifacts;

public abstract class ArtifactAliasesApiTests(PortalApp app)
{
    private static string At(DateTimeOffset time) => Uri.EscapeDataString(time.ToUniversalTime().ToString("O"));

    private static async Task<DateTimeOffset> PauseAsync()
    {
        // Alias events are ordered by time; a visible gap keeps "at T" unambiguous on every provider's precision.
        await Task.Delay(30);
        var now = DateTimeOffset.UtcNow;
        await Task.Delay(30);
        return now;
    }

    [SkippableFact]
    public async Task An_alias_answers_what_it_pointed_at_at_any_time_across_moves()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var uploads = new ArtifactUploads(client, team.Slug);
        var baseUrl = $"/api/v1/projects/{team.Slug}/artifacts/corpus/aliases/production";

        var beforeAll = await PauseAsync();
        var versions = new List<ArtifactVersionResponse>();
        for (var i = 0; i < 3; i++)
            versions.Add((await uploads.PublishAsync("corpus", [], [ArtifactUploads.Reference($"doc{i}.md")])).Version);

        var set = await (await client.PutAsJsonAsync(baseUrl, new SetAliasRequest("v0", "first release"))).ReadOkAsync<ArtifactAliasResponse>();
        Assert.Equal(("production", versions[0].Id, "v0"), (set.Name, set.VersionId, set.Version));
        var t0 = await PauseAsync();
        (await client.PutAsJsonAsync(baseUrl, new SetAliasRequest(versions[1].Id.ToString(), "bug fix"))).EnsureSuccessStatusCode();
        var t1 = await PauseAsync();
        (await client.PutAsJsonAsync(baseUrl, new SetAliasRequest("latest", "roll forward"))).EnsureSuccessStatusCode();
        var t2 = await PauseAsync();
        // Setting the alias to where it already points is not a move.
        (await client.PutAsJsonAsync(baseUrl, new SetAliasRequest("v2"))).EnsureSuccessStatusCode();
        (await client.PutAsJsonAsync(baseUrl, new SetAliasRequest("v0", "roll back"))).EnsureSuccessStatusCode();
        var t3 = await PauseAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"{baseUrl}?reason=retired")).StatusCode);
        var t4 = await PauseAsync();

        var viewer = app.ClientWithToken(team.Viewer.Token);
        foreach (var (time, expected) in new[] { (t0, "v0"), (t1, "v1"), (t2, "v2"), (t3, "v0") })
        {
            var then = await (await viewer.GetAsync($"{baseUrl}/at?time={At(time)}")).ReadOkAsync<ArtifactVersionResponse>();
            Assert.Equal(expected, then.Version);
        }
        await (await viewer.GetAsync($"{baseUrl}/at?time={At(beforeAll)}")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.AliasNotFound);
        await (await viewer.GetAsync($"{baseUrl}/at?time={At(t4)}")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.AliasNotFound);
        await (await viewer.GetAsync($"{baseUrl}/at?time=yesterday")).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);

        var history = await (await viewer.GetAsync($"{baseUrl}/history")).ReadOkAsync<List<AliasEventResponse>>();
        Assert.Equal([(null, "v0"), ("v0", "v1"), ("v1", "v2"), ("v2", "v0"), ("v0", null)], history.AsEnumerable().Reverse().Select(e => (e.FromVersion, e.ToVersion)));
        Assert.Equal(["first release", "bug fix", "roll forward", "roll back", "retired"], history.AsEnumerable().Reverse().Select(e => e.Reason));
        Assert.All(history, e => Assert.Equal(team.Contributor.Id, e.ActorId));

        // latest has a history too: one move per commit.
        var latest = await (await viewer.GetAsync($"/api/v1/projects/{team.Slug}/artifacts/corpus/aliases/latest/history")).ReadOkAsync<List<AliasEventResponse>>();
        Assert.Equal(["v2", "v1", "v0"], latest.Select(e => e.ToVersion));
        var latestAtT0 = await (await viewer.GetAsync($"/api/v1/projects/{team.Slug}/artifacts/corpus/aliases/latest/at?time={At(t0)}")).ReadOkAsync<ArtifactVersionResponse>();
        Assert.Equal("v2", latestAtT0.Version);

        // Removed: it no longer resolves, and deleting again is 404.
        await (await viewer.GetAsync($"/api/v1/projects/{team.Slug}/resolve/corpus:production")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.VersionNotFound);
        await (await client.DeleteAsync(baseUrl)).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.AliasNotFound);
    }

    [SkippableFact]
    public async Task Reserved_and_invalid_aliases_and_unknown_versions_are_refused()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var uploads = new ArtifactUploads(client, team.Slug);
        var v0 = await uploads.PublishAsync("model-a", [], [ArtifactUploads.Reference("weights.bin")]);
        var url = $"/api/v1/projects/{team.Slug}/artifacts/model-a/aliases";

        foreach (var reserved in new[] { "latest", "v0", "v12", v0.Version.Id.ToString(), v0.Version.ManifestDigest })
        {
            await (await client.PutAsJsonAsync($"{url}/{reserved}", new SetAliasRequest("v0"))).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.AliasReserved);
        }
        await (await client.DeleteAsync($"{url}/latest")).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.AliasReserved);
        foreach (var invalid in new[] { "Production", "-lead", "has%20space", new string('a', 129) })
            await (await client.PutAsJsonAsync($"{url}/{invalid}", new SetAliasRequest("v0"))).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.AliasInvalid);

        await (await client.PutAsJsonAsync($"{url}/staging", new SetAliasRequest("v7"))).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.VersionNotFound);
        await (await client.PutAsJsonAsync($"{url}/staging", new SetAliasRequest(""))).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        await (await client.PutAsJsonAsync($"/api/v1/projects/{team.Slug}/artifacts/nothing/aliases/staging", new SetAliasRequest("v0")))
            .AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ArtifactNotFound);
        await (await client.GetAsync($"{url}/staging/history")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.AliasNotFound);

        // A pending version cannot be aliased: it is not a version yet.
        var pending = await (await uploads.CreateAsync("model-a", [ArtifactUploads.File("new.bin").Entry])).ReadOkAsync<CreateVersionResponse>(HttpStatusCode.Created);
        await (await client.PutAsJsonAsync($"{url}/staging", new SetAliasRequest(pending.VersionId.ToString()))).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.VersionNotFound);

        var staged = await (await client.PutAsJsonAsync($"{url}/staging", new SetAliasRequest(v0.Version.ManifestDigest))).ReadOkAsync<ArtifactAliasResponse>();
        Assert.Equal("v0", staged.Version);
    }

    [SkippableFact]
    public async Task A_version_created_by_a_run_gets_a_produced_by_edge_at_commit()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var runId = Guid.NewGuid();
        await app.WithServicesAsync(async sp =>
        {
            await using var db = await sp.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            db.Runs.Add(new Run { Id = runId, ProjectId = team.Project.Id, Name = "chunking", JobType = "data_processing", StartedAt = DateTimeOffset.UtcNow });
            return await db.SaveChangesAsync();
        });
        var client = app.ClientWithToken(team.Contributor.Token);
        var uploads = new ArtifactUploads(client, team.Slug);
        var created = await (await uploads.CreateNdjsonAsync("chunks", [ArtifactUploads.Reference("c/0.jsonl")], $"type=chunks&runId={runId}"))
            .ReadOkAsync<CreateVersionResponse>(HttpStatusCode.Created);
        var committed = await (await uploads.CommitAsync("chunks", created.VersionId!.Value)).ReadOkAsync<CommitVersionResponse>();
        Assert.Equal(runId, committed.Version.CreatedByRunId);

        var edges = await app.WithServicesAsync(async sp =>
        {
            await using var db = await sp.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await db.LineageEdges.Where(e => e.VersionId == committed.Version.Id).Select(e => new { e.RunId, e.Direction }).ToListAsync();
        });
        var edge = Assert.Single(edges);
        Assert.Equal((runId, LineageDirection.Produced), (edge.RunId, edge.Direction));
    }
}

public sealed class ArtifactAliasesApiTests_Sqlite(SqliteApp app) : ArtifactAliasesApiTests(app), IClassFixture<SqliteApp>;

public sealed class ArtifactAliasesApiTests_Postgres(PostgresApp app) : ArtifactAliasesApiTests(app), IClassFixture<PostgresApp>;

public sealed class ArtifactAliasesApiTests_SqlServer(SqlServerApp app) : ArtifactAliasesApiTests(app), IClassFixture<SqlServerApp>;
