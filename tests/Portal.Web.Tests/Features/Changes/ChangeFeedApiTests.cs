using System.Text.Json;
using Portal.Client.Models;
using Portal.Web.Tests.Features.Artifacts;

namespace Portal.Web.Tests.Features.Changes;

/// <summary>The change feed over HTTP: NDJSON, version specifications, refusals as problem details, the SDK iterator.</summary>
public abstract class ChangeFeedApiTests(PortalApp app)
{
    private async Task<(TestProject Team, ArtifactVersionResponse V0, ArtifactVersionResponse V1)> SeedAsync()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        var uploads = new ArtifactUploads(app.ClientWithToken(team.Contributor.Token), team.Slug);
        var v0 = (await uploads.PublishAsync("chunks", [ArtifactUploads.File("c/a.jsonl", "{\"id\":1,\"text\":\"one\"}\n{\"id\":2,\"text\":\"two\"}\n"), ArtifactUploads.File("notes.txt", "a")])).Version;
        var v1 = (await uploads.PublishAsync("chunks", [ArtifactUploads.File("c/a.jsonl", "{\"id\":1,\"text\":\"uno\"}\n{\"id\":3,\"text\":\"three\"}\n"), ArtifactUploads.File("notes.txt", "a")])).Version;
        return (team, v0, v1);
    }

    private static List<ChangeRecord> Parse(string ndjson) =>
        ndjson.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonSerializer.Deserialize<ChangeRecord>(l, HttpAssertions.Json)!).ToList();

    [SkippableFact]
    public async Task The_feed_streams_ndjson_between_two_named_versions()
    {
        app.SkipIfUnavailable();
        var (team, v0, v1) = await SeedAsync();
        var viewer = app.ClientWithToken(team.Viewer.Token);
        var response = await viewer.GetAsync($"/api/v1/projects/{team.Slug}/changes?from=chunks:v0&to=chunks:latest");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        var records = Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(["changed c/a.jsonl:1 1", "added c/a.jsonl:2 3", "removed c/a.jsonl:2 2", "end :"], records.Select(r => $"{r.Op} {r.Path}:{r.Line} {r.Key}".TrimEnd()));
        Assert.Equal("uno", records[0].Row!.Value.GetProperty("text").GetString());
        Assert.All(records, r => Assert.NotNull(r.Cursor));
        var summary = records[^1].Summary!;
        Assert.Equal((v0.Id, v1.Id, 1L, 1L, 1L, 2), (summary.FromVersionId, summary.ToVersionId, summary.Added, summary.Changed, summary.Removed, summary.FilesRead));

        var bare = Parse(await viewer.GetStringAsync($"/api/v1/projects/{team.Slug}/changes?from={v0.Id}&to={v1.Id}&rows=false&continuation={records[0].Cursor}"));
        Assert.Equal(records.Skip(1).Select(r => r.Op), bare.Select(r => r.Op));
        Assert.All(bare, r => Assert.Null(r.Row));
    }

    [SkippableFact]
    public async Task Refusals_are_problem_details_before_any_record()
    {
        app.SkipIfUnavailable();
        var (team, _, _) = await SeedAsync();
        var viewer = app.ClientWithToken(team.Viewer.Token);
        await (await viewer.GetAsync($"/api/v1/projects/{team.Slug}/changes?from=chunks:v0&to=chunks:v9")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.VersionNotFound);
        await (await viewer.GetAsync($"/api/v1/projects/{team.Slug}/changes?from=chunks:v0&to=chunks:v1&continuation=bm90LWEtY3Vyc29y"))
            .AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ContinuationInvalid);
        using var ndjsonOnly = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/projects/{team.Slug}/changes?from=chunks:v0&to=chunks:v9");
        ndjsonOnly.Headers.Accept.ParseAdd("application/x-ndjson");
        await (await viewer.SendAsync(ndjsonOnly)).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.VersionNotFound);
        var outsider = await app.Data.CreateUserAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await app.ClientWithToken(outsider.Token).GetAsync($"/api/v1/projects/{team.Slug}/changes?from=chunks:v0&to=chunks:v1")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.AnonymousClient().GetAsync($"/api/v1/projects/{team.Slug}/changes?from=chunks:v0&to=chunks:v1")).StatusCode);
    }

    [SkippableFact]
    public async Task The_sdk_iterates_the_feed_and_resumes_from_a_cursor()
    {
        app.SkipIfUnavailable();
        var (team, _, _) = await SeedAsync();
        using var sdk = new PortalClient(app.ClientWithToken(team.Viewer.Token));
        var all = new List<ChangeRecord>();
        await foreach (var record in sdk.ChangesAsync(team.Slug, "chunks:v0", "chunks:v1"))
            all.Add(record);
        Assert.Equal([ChangeOps.Changed, ChangeOps.Added, ChangeOps.Removed, ChangeOps.End], all.Select(r => r.Op));
        var rest = new List<ChangeRecord>();
        await foreach (var record in sdk.ChangesAsync(team.Slug, "chunks:v0", "chunks:v1", rows: false, continuation: all[1].Cursor))
            rest.Add(record);
        Assert.Equal([ChangeOps.Removed, ChangeOps.End], rest.Select(r => r.Op));
        await Assert.ThrowsAsync<PortalApiException>(async () =>
        {
            await foreach (var _ in sdk.ChangesAsync(team.Slug, "chunks:v0", "nope:v1"))
            {
            }
        });
    }
}

public sealed class ChangeFeedApiTests_Sqlite(SqliteApp app) : ChangeFeedApiTests(app), IClassFixture<SqliteApp>;

public sealed class ChangeFeedApiTests_Postgres(PostgresApp app) : ChangeFeedApiTests(app), IClassFixture<PostgresApp>;

public sealed class ChangeFeedApiTests_SqlServer(SqlServerApp app) : ChangeFeedApiTests(app), IClassFixture<SqlServerApp>;
