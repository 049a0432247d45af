using System.Formats.Tar;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Features.Artifacts.Manifests;
using Portal.Core.Storage;

namespace Portal.Web.Tests.Features.Artifacts;

public abstract class VersionContentApiTests(PortalApp app)
{
    private async Task<(TestProject Team, Guid VersionId, Dictionary<string, string> Files)> StoreAsync(Dictionary<string, string> files, params ManifestEntry[] extra)
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        var store = app.Services.GetRequiredService<IBlobStore>();
        foreach (var content in files.Values)
        {
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(content));
            await store.PutAsync(TestManifests.DigestOf(content), stream);
        }

        var entries = files.Select(f => TestManifests.Entry(f.Key, f.Value)).Concat(extra);
        var id = await TestManifests.StoreCommittedVersionAsync(app.Services, team.Project.Id, "docs", entries, "documents");
        return (team, id, files);
    }

    private static Dictionary<string, string> SampleFiles() => new()
    {
        ["README.md"] = "# Knowledge base\n",
        ["faq/billing.md"] = "How do refunds work? " + new string('x', 500),
        ["faq/shipping.md"] = "Shipping takes 3 days.",
        ["raw/2026/11/export.jsonl"] = "{\"id\":1}\n{\"id\":2}\n",
        ["ünïcode/файл.txt"] = "unicode path",
    };

    [SkippableFact]
    public async Task Folders_list_a_page_at_a_time()
    {
        app.SkipIfUnavailable();
        var (team, versionId, _) = await StoreAsync(SampleFiles());
        var client = app.ClientWithToken(team.Viewer.Token);
        var root = await (await client.GetAsync($"/api/v1/projects/{team.Slug}/versions/{versionId}/files")).ReadOkAsync<VersionFilesResponse>();
        Assert.Equal(["README.md", "faq/", "raw/", "ünïcode/"], root.Items.Select(i => i.Path));
        var faq = await (await client.GetAsync($"/api/v1/projects/{team.Slug}/versions/{versionId}/files?path=faq&limit=1")).ReadOkAsync<VersionFilesResponse>();
        Assert.Equal("faq/billing.md", Assert.Single(faq.Items).Path);
        Assert.NotNull(faq.ContinuationToken);
        var next = await (await client.GetAsync($"/api/v1/projects/{team.Slug}/versions/{versionId}/files?path=faq&limit=1&continuation={faq.ContinuationToken}")).ReadOkAsync<VersionFilesResponse>();
        Assert.Equal("faq/shipping.md", Assert.Single(next.Items).Path);
        Assert.Null(next.ContinuationToken);
    }

    [SkippableFact]
    public async Task A_file_downloads_as_an_attachment_with_its_digest_as_etag_and_ranges()
    {
        app.SkipIfUnavailable();
        var (team, versionId, files) = await StoreAsync(SampleFiles());
        var client = app.ClientWithToken(team.Viewer.Token);
        var url = $"/api/v1/projects/{team.Slug}/versions/{versionId}/file?path={Uri.EscapeDataString("faq/billing.md")}";
        var response = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(files["faq/billing.md"], await response.Content.ReadAsStringAsync());
        Assert.Equal($"\"{TestManifests.DigestOf(files["faq/billing.md"])}\"", response.Headers.ETag?.Tag);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);

        using var ranged = new HttpRequestMessage(HttpMethod.Get, url);
        ranged.Headers.Range = new RangeHeaderValue(4, 9);
        var part = await client.SendAsync(ranged);
        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal("do ref", await part.Content.ReadAsStringAsync());

        using var conditional = new HttpRequestMessage(HttpMethod.Get, url);
        conditional.Headers.IfNoneMatch.Add(new EntityTagHeaderValue(response.Headers.ETag!.Tag));
        Assert.Equal(HttpStatusCode.NotModified, (await client.SendAsync(conditional)).StatusCode);

        var unicode = await client.GetAsync($"/api/v1/projects/{team.Slug}/versions/{versionId}/file?path={Uri.EscapeDataString("ünïcode/файл.txt")}");
        Assert.Equal("unicode path", await unicode.Content.ReadAsStringAsync());
    }

    [SkippableTheory]
    [InlineData("../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("a//b")]
    [InlineData("a\\b")]
    [InlineData("a\u0000b")]
    public async Task Traversal_paths_are_refused(string path)
    {
        app.SkipIfUnavailable();
        var (team, versionId, _) = await StoreAsync(SampleFiles());
        var response = await app.ClientWithToken(team.Viewer.Token).GetAsync($"/api/v1/projects/{team.Slug}/versions/{versionId}/file?path={Uri.EscapeDataString(path)}");
        await response.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.PathInvalid);
    }

    [SkippableFact]
    public async Task Missing_files_references_and_corrupt_blobs_are_clear_errors()
    {
        app.SkipIfUnavailable();
        var reference = new ManifestEntry("external/model.bin", TestManifests.DigestOf("remote"), 6, "s3://bucket/model.bin");
        // Content of its own: the blob store is shared by this class's tests, and this one corrupts a blob.
        var sample = SampleFiles();
        sample["faq/shipping.md"] = $"Shipping takes 3 days. {Guid.NewGuid()}";
        var (team, versionId, files) = await StoreAsync(sample, reference);
        var client = app.ClientWithToken(team.Viewer.Token);
        var missing = await client.GetAsync($"/api/v1/projects/{team.Slug}/versions/{versionId}/file?path=nope.txt");
        await missing.AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.FileNotFound);
        var refResponse = await client.GetAsync($"/api/v1/projects/{team.Slug}/versions/{versionId}/file?path=external/model.bin");
        var problem = await refResponse.AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.FileIsReference);
        Assert.Equal("s3://bucket/model.bin", problem.GetProperty("ref").GetString());

        var store = app.FileStore;
        var digest = TestManifests.DigestOf(files["faq/shipping.md"]);
        await File.WriteAllTextAsync(store.GetBlobPath(digest), files["faq/shipping.md"].Replace('3', '9'));
        var corrupt = await client.GetAsync($"/api/v1/projects/{team.Slug}/versions/{versionId}/file?path=faq/shipping.md");
        await corrupt.AssertProblemAsync(HttpStatusCode.InternalServerError, ErrorCodes.DigestMismatch);
    }

    [SkippableFact]
    public async Task The_whole_version_streams_as_a_tar()
    {
        app.SkipIfUnavailable();
        var reference = new ManifestEntry("external/model.bin", TestManifests.DigestOf("remote"), 6, "s3://bucket/model.bin");
        var (team, versionId, files) = await StoreAsync(SampleFiles(), reference);
        var response = await app.ClientWithToken(team.Viewer.Token).GetAsync($"/api/v1/projects/{team.Slug}/versions/{versionId}/archive.tar");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-tar", response.Content.Headers.ContentType?.MediaType);
        await using var body = await response.Content.ReadAsStreamAsync();
        await using var reader = new TarReader(body);
        var seen = new Dictionary<string, string>();
        while (await reader.GetNextEntryAsync(copyData: true) is { } entry)
        {
            using var text = new StreamReader(entry.DataStream!);
            seen[entry.Name] = await text.ReadToEndAsync();
        }

        Assert.Equal(files.OrderBy(f => f.Key, StringComparer.Ordinal), seen.OrderBy(f => f.Key, StringComparer.Ordinal));
    }

    [SkippableFact]
    public async Task Diff_and_reverse_look_ups_over_http()
    {
        app.SkipIfUnavailable();
        var files = SampleFiles();
        var (team, v0, _) = await StoreAsync(files);
        var changed = new Dictionary<string, string>(files) { ["faq/shipping.md"] = "Shipping takes 2 days." };
        changed.Remove("README.md");
        var v1 = await TestManifests.StoreCommittedVersionAsync(app.Services, team.Project.Id, "docs", changed.Select(f => TestManifests.Entry(f.Key, f.Value)), "documents");
        var client = app.ClientWithToken(team.Viewer.Token);
        var diff = await (await client.GetAsync($"/api/v1/projects/{team.Slug}/diff?from={v0}&to={v1}")).ReadOkAsync<VersionDiffResponse>();
        Assert.Equal(1, diff.Summary.Removed);
        Assert.Equal(1, diff.Summary.Modified);
        var badKind = await client.GetAsync($"/api/v1/projects/{team.Slug}/diff?from={v0}&to={v1}&change=exploded");
        await badKind.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        var unknown = await client.GetAsync($"/api/v1/projects/{team.Slug}/diff?from={v0}&to={Guid.NewGuid()}");
        await unknown.AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.VersionNotFound);

        var holders = await (await client.GetAsync($"/api/v1/blobs/sha256/{TestManifests.DigestOf(files["faq/billing.md"])}/versions")).ReadOkAsync<List<ContainingVersion>>();
        Assert.Equal(2, holders.Count(h => h.Project == team.Slug));
        var byPath = await (await client.GetAsync($"/api/v1/projects/{team.Slug}/versions-containing?path=README.md")).ReadOkAsync<List<ContainingVersion>>();
        Assert.Equal(v0, Assert.Single(byPath).VersionId);
        var badDigest = await client.GetAsync("/api/v1/blobs/sha256/XYZ/versions");
        await badDigest.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.DigestInvalid);
    }

    [SkippableFact]
    public async Task Diffs_and_compare_reports_take_versions_by_name_alias_digest_or_id()
    {
        app.SkipIfUnavailable();
        var files = SampleFiles();
        var (team, v0, _) = await StoreAsync(files);
        var changed = new Dictionary<string, string>(files) { ["faq/shipping.md"] = "Shipping takes 3 days." };
        var v1 = await TestManifests.StoreCommittedVersionAsync(app.Services, team.Project.Id, "docs", changed.Select(f => TestManifests.Entry(f.Key, f.Value)), "documents");
        var contributor = app.ClientWithToken(team.Contributor.Token);
        (await contributor.PutAsJsonAsync($"/api/v1/projects/{team.Slug}/artifacts/docs/aliases/golden", new SetAliasRequest("v1"))).EnsureSuccessStatusCode();
        var second = await (await contributor.GetAsync($"/api/v1/projects/{team.Slug}/artifacts/docs/versions/v1")).ReadOkAsync<ArtifactVersionResponse>();
        var client = app.ClientWithToken(team.Viewer.Token);
        var byId = await (await client.GetAsync($"/api/v1/projects/{team.Slug}/diff?from={v0}&to={v1}")).ReadOkAsync<VersionDiffResponse>();

        foreach (var (from, to) in new[] { ("docs:v0", "docs:v1"), ("docs:v0", "docs:golden"), ($"{v0}", $"docs:{second.ManifestDigest}") })
        {
            var diff = await (await client.GetAsync($"/api/v1/projects/{team.Slug}/diff?from={Uri.EscapeDataString(from)}&to={Uri.EscapeDataString(to)}")).ReadOkAsync<VersionDiffResponse>();
            Assert.Equal(byId.Summary, diff.Summary);
        }
        var rows = await client.GetAsync($"/api/v1/projects/{team.Slug}/row-diff?from=docs:v0&to=docs:golden&path=faq/shipping.md");
        Assert.NotEqual(HttpStatusCode.NotFound, rows.StatusCode);
        var noReport = await client.GetAsync($"/api/v1/projects/{team.Slug}/compare-reports?from=docs:v0&to=docs:v1");
        await noReport.AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.CompareReportNotFound);

        await (await client.GetAsync($"/api/v1/projects/{team.Slug}/diff?from=docs&to=docs:v1")).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        await (await client.GetAsync($"/api/v1/projects/{team.Slug}/diff?from=docs:v0&to=docs:v9")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.VersionNotFound);
        await (await client.GetAsync($"/api/v1/projects/{team.Slug}/diff?from=docs:v0&to=manuals:v0")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ArtifactNotFound);
        var other = await app.Data.CreateProjectWithTeamAsync();
        var elsewhere = await app.ClientWithToken(other.Admin.Token).GetAsync($"/api/v1/projects/{other.Slug}/diff?from={v0}&to={v1}");
        await elsewhere.AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.VersionNotFound);
    }

    [SkippableFact]
    public async Task Strangers_and_other_projects_see_nothing()
    {
        app.SkipIfUnavailable();
        var (team, versionId, _) = await StoreAsync(SampleFiles());
        var stranger = await app.Data.CreateUserAsync();
        var response = await app.ClientWithToken(stranger.Token).GetAsync($"/api/v1/projects/{team.Slug}/versions/{versionId}/files");
        await response.AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ProjectNotFound);
        var other = await app.Data.CreateProjectWithTeamAsync();
        var crossProject = await app.ClientWithToken(other.Admin.Token).GetAsync($"/api/v1/projects/{other.Slug}/versions/{versionId}/archive.tar");
        await crossProject.AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.VersionNotFound);
        var anonymous = await app.AnonymousClient().GetAsync($"/api/v1/projects/{team.Slug}/versions/{versionId}/files");
        await anonymous.AssertProblemAsync(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
    }
}

public sealed class VersionContentApiTests_Sqlite(SqliteApp app) : VersionContentApiTests(app), IClassFixture<SqliteApp>;

public sealed class VersionContentApiTests_Postgres(PostgresApp app) : VersionContentApiTests(app), IClassFixture<PostgresApp>;

public sealed class VersionContentApiTests_SqlServer(SqlServerApp app) : VersionContentApiTests(app), IClassFixture<SqlServerApp>;
