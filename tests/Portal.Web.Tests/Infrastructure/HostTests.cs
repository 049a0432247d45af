using System.Text.Json;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>What the host serves besides the API: health, OpenAPI, sign-in, the jobs dashboard.</summary>
public sealed class HostTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    [Fact]
    public async Task Health_checks_the_database()
    {
        var response = await app.AnonymousClient().GetAsync("/healthz");
        var body = await response.ReadOkAsync<JsonElement>();
        Assert.Equal("healthy", body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_openapi_document_describes_the_api()
    {
        var doc = await (await app.AnonymousClient().GetAsync("/openapi/v1.json")).ReadOkAsync<JsonElement>();
        var paths = doc.GetProperty("paths");
        foreach (var path in new[]
                 {
                     "/api/v1/projects", "/api/v1/projects/{slug}", "/api/v1/projects/{slug}/members", "/api/v1/me", "/api/v1/me/tokens",
                     "/api/v1/blobs/sha256/{digest}", "/api/v1/blobs/batch", "/api/v1/blobs/missing",
                     "/api/v1/projects/{slug}/artifacts", "/api/v1/projects/{slug}/artifacts/{name}/versions",
                     "/api/v1/projects/{slug}/artifacts/{name}/versions/{versionId}/commit",
                     "/api/v1/projects/{slug}/runs", "/api/v1/projects/{slug}/runs/{runId}/metrics",
                     "/api/v1/projects/{slug}/versions/{versionId}/files", "/api/v1/projects/{slug}/versions/{versionId}/archive.tar",
                     "/api/v1/projects/{slug}/diff",
                 })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is missing from the OpenAPI document");
        }

        var schemas = doc.GetProperty("components").GetProperty("schemas");
        foreach (var schema in new[] { "CreateProjectRequest", "CreateVersionRequest", "CreateVersionResponse", "ArtifactVersionResponse", "RunResponse", "VersionDiffResponse", "VersionFilesResponse" })
            Assert.True(schemas.TryGetProperty(schema, out _), $"schema {schema} is missing from the OpenAPI document");
    }

    [Fact]
    public async Task The_api_reference_is_served()
    {
        var response = await app.CreateClient().GetAsync("/api/docs/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("openapi/v1.json", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pages_send_anonymous_people_to_sign_in()
    {
        var response = await app.AnonymousClient().GetAsync("/projects");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/account/login", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        var login = await app.AnonymousClient().GetAsync("/account/login");
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Contains("Sign in", await login.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_jobs_dashboard_is_for_site_admins_only()
    {
        var anonymous = await app.AnonymousClient().GetAsync("/jobs");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        var user = await app.Data.CreateUserAsync();
        var member = await app.ClientWithToken(user.Token).GetAsync("/jobs");
        Assert.Equal(HttpStatusCode.Forbidden, member.StatusCode);
        var admin = await app.AdminClient().GetAsync("/jobs");
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
    }

    [Fact]
    public async Task A_get_of_the_jobs_dashboard_stats_is_405_naming_post_not_500()
    {
        var admin = app.AdminClient();

        var get = await admin.GetAsync("/jobs/stats");
        var problem = await get.AssertProblemAsync(HttpStatusCode.MethodNotAllowed, "method_not_allowed");
        Assert.Contains("POST", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("POST", get.Content.Headers.Allow);

        var user = await app.Data.CreateUserAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await app.ClientWithToken(user.Token).GetAsync("/jobs/stats")).StatusCode);
    }

    [Fact]
    public async Task Unknown_api_routes_are_404_problem_details()
    {
        var response = await app.AdminClient().GetAsync("/api/v1/nothing-here");
        await response.AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.NotFound);
    }
}
