using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Features.Artifacts;
using RunList = Portal.Core.Features.Runs.Runs;

namespace Portal.Web.Tests.Features.Search;

/// <summary>GET /api/v1/search over real data: names, aliases, name:reference, digest prefixes, and only readable projects.</summary>
public abstract class SearchApiTests(PortalApp app)
{
    private async Task<(TestProject Team, string Name, ArtifactVersionResponse V0, ArtifactVersionResponse V1, RunResponse Run)> SeedAsync()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        var name = "corpus-" + Guid.NewGuid().ToString("N")[..8];
        var v0 = await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, name, "dataset", null, "", ("a.txt", "one " + name));
        var v1 = await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, name, "dataset", null, "", ("a.txt", "two " + name));
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<ArtifactAliases>().SetAsync(team.Admin.Principal, team.Slug, name, "golden-" + name[^8..], new SetAliasRequest("v0"));
        var run = await scope.ServiceProvider.GetRequiredService<RunList>().CreateAsync(team.Contributor.Principal, team.Slug, new CreateRunRequest("model_training", "train-" + name));
        return (team, name, v0, v1, run);
    }

    private async Task<SearchResponse> SearchAsync(TestUser user, string query, int? limit = null)
    {
        var url = "/api/v1/search?q=" + Uri.EscapeDataString(query) + (limit is null ? "" : $"&limit={limit}");
        return await (await app.ClientWithToken(user.Token).GetAsync(url)).ReadOkAsync<SearchResponse>();
    }

    [SkippableFact]
    public async Task Names_find_artifacts_and_runs_with_links_to_their_pages()
    {
        app.SkipIfUnavailable();
        var (team, name, _, _, run) = await SeedAsync();

        var found = await SearchAsync(team.Viewer, name[^8..].ToUpperInvariant());

        var artifact = Assert.Single(found.Artifacts);
        Assert.Equal(name, artifact.Title);
        Assert.Equal(team.Slug, artifact.Project);
        Assert.Equal($"/projects/{team.Slug}/artifacts/{name}", artifact.Href);
        var runHit = Assert.Single(found.Runs);
        Assert.Equal($"/projects/{team.Slug}/runs/{run.Id}", runHit.Href);
        Assert.False(found.Capped);
    }

    [SkippableFact]
    public async Task Versions_are_found_by_alias_by_name_and_reference_and_by_digest_prefix()
    {
        app.SkipIfUnavailable();
        var (team, name, v0, v1, _) = await SeedAsync();

        var byAlias = await SearchAsync(team.Viewer, "golden-" + name[^8..]);
        Assert.Equal($"{name}:v0", Assert.Single(byAlias.Versions).Title);
        Assert.Equal("alias", byAlias.Versions[0].MatchedBy);

        var byIndex = await SearchAsync(team.Viewer, $"{name}:v1");
        Assert.Equal($"/projects/{team.Slug}/artifacts/{name}/v1", Assert.Single(byIndex.Versions).Href);
        var byLatest = await SearchAsync(team.Viewer, $"{name}:latest");
        Assert.Equal($"{name}:v1", Assert.Single(byLatest.Versions).Title);

        var byDigest = await SearchAsync(team.Viewer, v1.ManifestDigest[..10]);
        Assert.Contains(byDigest.Versions, h => h.Title == $"{name}:v1" && h.MatchedBy == "digest");
        Assert.DoesNotContain(byDigest.Versions, h => h.Title == $"{name}:v0");
        var tooShort = await SearchAsync(team.Viewer, v0.ManifestDigest[..(Core.Features.Search.PortalSearch.MinDigestPrefix - 1)]);
        Assert.DoesNotContain(tooShort.Versions, h => h.MatchedBy == "digest");
    }

    [SkippableFact]
    public async Task Nothing_of_a_project_reaches_someone_who_is_not_a_member()
    {
        app.SkipIfUnavailable();
        var (_, name, _, v1, _) = await SeedAsync();
        var stranger = await app.Data.CreateUserAsync();
        foreach (var query in new[] { name, $"{name}:v1", v1.ManifestDigest[..12], "train-" + name })
        {
            var found = await SearchAsync(stranger, query);
            Assert.Empty(found.Artifacts);
            Assert.Empty(found.Versions);
            Assert.Empty(found.Runs);
        }
    }

    [SkippableFact]
    public async Task Results_are_capped_per_kind_and_the_answer_says_so()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var prefix = "many-" + Guid.NewGuid().ToString("N")[..6];
        for (var i = 0; i < 4; i++)
            await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, $"{prefix}-{i}", "dataset", null, "", ("a.txt", $"{prefix} {i}"));

        var found = await SearchAsync(team.Viewer, prefix, limit: 3);

        Assert.Equal(3, found.Artifacts.Count);
        Assert.True(found.Capped);
        Assert.Equal([$"{prefix}-0", $"{prefix}-1", $"{prefix}-2"], found.Artifacts.Select(a => a.Title));
    }

    [SkippableFact]
    public async Task Bad_limits_are_refused_and_an_empty_query_finds_nothing()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Viewer.Token);
        await (await client.GetAsync("/api/v1/search?q=x&limit=0")).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.LimitInvalid);
        await (await client.GetAsync("/api/v1/search?q=" + new string('x', 201))).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        var empty = await (await client.GetAsync("/api/v1/search?q=%20")).ReadOkAsync<SearchResponse>();
        Assert.Empty(empty.Artifacts);
        await (await app.AnonymousClient().GetAsync("/api/v1/search?q=x")).AssertProblemAsync(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
    }

    [SkippableFact]
    public async Task The_artifact_list_filters_on_the_latest_versions_metadata()
    {
        app.SkipIfUnavailable();
        var (team, name, _, _, _) = await SeedAsync();
        var client = app.ClientWithToken(team.Viewer.Token);
        var url = $"/api/v1/projects/{team.Slug}/artifacts?metadata=";

        // TestArtifacts publishes {"source":"tests"}.
        var matching = await (await client.GetAsync(url + Uri.EscapeDataString("source=tests"))).ReadOkAsync<List<ArtifactResponse>>();
        Assert.Equal(name, Assert.Single(matching).Name);
        Assert.Empty(await (await client.GetAsync(url + Uri.EscapeDataString("source=other"))).ReadOkAsync<List<ArtifactResponse>>());
        Assert.Empty(await (await client.GetAsync(url + Uri.EscapeDataString("tests=source"))).ReadOkAsync<List<ArtifactResponse>>());
        await (await client.GetAsync(url + "source")).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
    }

    [SkippableFact]
    public async Task Images_are_served_inline_only_when_asked_with_their_type_and_a_sandbox()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        const string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><script>alert(1)</script><rect width=\"10\" height=\"10\"/></svg>";
        var version = await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "pictures", "dataset", null, "",
            ("logo.svg", svg), ("notes.txt", "<b>hi</b>"));
        var client = app.ClientWithToken(team.Viewer.Token);
        var file = $"/api/v1/projects/{team.Slug}/versions/{version.Id}/file?path=";

        var inline = await client.GetAsync(file + "logo.svg&inline=true");
        Assert.Equal(HttpStatusCode.OK, inline.StatusCode);
        Assert.Equal("image/svg+xml", inline.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", string.Join("", inline.Headers.GetValues("X-Content-Type-Options")));
        Assert.Contains("sandbox", string.Join("", inline.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
        Assert.StartsWith("inline", inline.Content.Headers.ContentDisposition?.ToString(), StringComparison.Ordinal);

        var download = await client.GetAsync(file + "logo.svg");
        Assert.Equal("application/octet-stream", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);
        var notAnImage = await client.GetAsync(file + "notes.txt&inline=true");
        Assert.Equal("application/octet-stream", notAnImage.Content.Headers.ContentType?.MediaType);
    }
}

public sealed class SearchApiTests_Sqlite(SqliteApp app) : SearchApiTests(app), IClassFixture<SqliteApp>;

public sealed class SearchApiTests_Postgres(PostgresApp app) : SearchApiTests(app), IClassFixture<PostgresApp>;

public sealed class SearchApiTests_SqlServer(SqlServerApp app) : SearchApiTests(app), IClassFixture<SqlServerApp>;
