using System.Net.Http.Headers;
using System.Security.Cryptography;
using Portal.Web.Tests.Features.Artifacts;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>Blob bodies are taken whatever their content type; every 415 says which types the endpoint takes.</summary>
public abstract class ContentTypesApiTests(PortalApp app)
{
    [SkippableTheory]
    [InlineData("application/x-www-form-urlencoded")] // what curl --data-binary sends, as in the README
    [InlineData("text/plain")]
    [InlineData("image/png")]
    [InlineData(null)]
    public async Task A_blob_put_takes_any_content_type(string? contentType)
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var bytes = RandomNumberGenerator.GetBytes(5000);
        var digest = BlobsApiTests.DigestOf(bytes);
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = contentType is null ? null : new MediaTypeHeaderValue(contentType);

        var stored = await (await client.PutAsync($"/api/v1/blobs/sha256/{digest}?project={team.Slug}", content)).ReadOkAsync<BlobPutResponse>(HttpStatusCode.Created);

        Assert.Equal(new BlobPutResponse(digest, bytes.Length, false), stored);
        var missing = await (await client.PostJsonAsync("/api/v1/blobs/missing", new MissingBlobsRequest([digest], team.Slug))).ReadOkAsync<MissingBlobsResponse>();
        Assert.Empty(missing.Missing);
    }

    [SkippableFact]
    public async Task Every_415_names_the_types_the_endpoint_takes()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var versions = $"/api/v1/projects/{team.Slug}/artifacts/set/versions";

        // Refused by routing (the route declares what it accepts).
        var manifest = await (await client.PostAsync(versions, new StringContent("path,digest", System.Text.Encoding.UTF8, "text/csv")))
            .AssertProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        AssertNames(manifest, "application/json", "application/x-ndjson", "text/csv");
        var batch = await (await client.PostAsync("/api/v1/blobs/batch", new StringContent("x", System.Text.Encoding.UTF8, "application/zip")))
            .AssertProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        AssertNames(batch, "application/x-tar");

        // Refused while binding a JSON body parameter.
        var missing = await (await client.PostAsync("/api/v1/blobs/missing", new StringContent("{\"digests\":[]}", System.Text.Encoding.UTF8, "text/plain")))
            .AssertProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        AssertNames(missing, "application/json");
        var project = await (await client.PostAsync("/api/v1/projects", new StringContent("slug=x", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded")))
            .AssertProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        AssertNames(project, "application/json");
    }

    [SkippableTheory]
    [InlineData("application/octet-stream")]
    [InlineData("application/x-ndjson")]
    [InlineData("text/csv")]
    public async Task A_refusal_is_a_problem_document_whatever_the_client_accepts(string accept)
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Viewer.Token);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/projects/{team.Slug}/versions/{Guid.NewGuid()}/file?path=a.txt");
        request.Headers.Accept.ParseAdd(accept);

        var response = await client.SendAsync(request);

        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.AssertProblemAsync(HttpStatusCode.NotFound, "version_not_found");
        Assert.True(problem.TryGetProperty("traceId", out _));
    }

    private static void AssertNames(System.Text.Json.JsonElement problem, params string[] types)
    {
        var detail = problem.GetProperty("detail").GetString()!;
        foreach (var type in types)
            Assert.Contains(type, detail, StringComparison.Ordinal);
    }
}

public sealed class ContentTypesApiTests_Sqlite(SqliteApp app) : ContentTypesApiTests(app), IClassFixture<SqliteApp>;

public sealed class ContentTypesApiTests_Postgres(PostgresApp app) : ContentTypesApiTests(app), IClassFixture<PostgresApp>;
