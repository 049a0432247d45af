using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;

namespace Portal.Web.Tests.Features.Artifacts;

public abstract class ArtifactVersionsApiTests(PortalApp app)
{
    private async Task<(TestProject Team, HttpClient Client, ArtifactUploads Uploads)> ContributorAsync()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        return (team, client, new ArtifactUploads(client, team.Slug));
    }

    private Task<T> QueryAsync<T>(Func<PortalDbContext, Task<T>> query) =>
        app.WithServicesAsync(async sp =>
        {
            await using var db = await sp.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await query(db);
        });

    [SkippableFact]
    public async Task Create_upload_commit_gives_v0_and_latest()
    {
        app.SkipIfUnavailable();
        var (team, client, uploads) = await ContributorAsync();
        var a = ArtifactUploads.File("docs/a.txt");
        var b = ArtifactUploads.File("docs/b.txt");
        var external = ArtifactUploads.Reference("external/c.bin");

        var created = await (await uploads.CreateAsync("corpus", [b.Entry, external, a.Entry], aliases: ["staging"]))
            .ReadOkAsync<CreateVersionResponse>(HttpStatusCode.Created);
        Assert.Equal(CreateVersionStatus.Pending, created.Status);
        Assert.Equal(3, created.FileCount);
        Assert.Equal(new[] { a.Entry.Digest, b.Entry.Digest }.Order(StringComparer.Ordinal), created.MissingDigests.Order(StringComparer.Ordinal));

        // Pending versions are not versions yet.
        Assert.Empty((await uploads.ListVersionsAsync("corpus")).Items);
        await (await client.GetAsync($"{uploads.VersionsUrl("corpus")}/{created.VersionId}")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.VersionNotFound);

        var early = await uploads.CommitAsync("corpus", created.VersionId!.Value);
        var problem = await early.AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.BlobsMissing);
        Assert.Equal(2, problem.GetProperty("missingDigests").GetArrayLength());

        await uploads.UploadAsync([a.Bytes, b.Bytes]);
        var committed = await (await uploads.CommitAsync("corpus", created.VersionId.Value)).ReadOkAsync<CommitVersionResponse>();
        Assert.Equal(CreateVersionStatus.Committed, committed.Status);
        Assert.Equal("v0", committed.Version.Version);
        Assert.Equal(created.ManifestDigest, committed.Version.ManifestDigest);
        Assert.Equal(["latest", "staging"], committed.Version.Aliases);
        Assert.Equal(3, committed.Version.Metadata.GetProperty("rows").GetInt32());

        // Committing twice answers the same.
        var again = await (await uploads.CommitAsync("corpus", created.VersionId.Value)).ReadOkAsync<CommitVersionResponse>();
        Assert.Equal("v0", again.Version.Version);

        foreach (var reference in new[] { "latest", "v0", "staging", created.VersionId.Value.ToString(), created.ManifestDigest })
        {
            var byRef = await (await client.GetAsync($"{uploads.VersionsUrl("corpus")}/{reference}")).ReadOkAsync<ArtifactVersionResponse>();
            Assert.Equal(created.VersionId, byRef.Id);
        }
        var resolved = await (await client.GetAsync($"/api/v1/projects/{team.Slug}/resolve/corpus:staging")).ReadOkAsync<ArtifactVersionResponse>();
        Assert.Equal("v0", resolved.Version);

        var viewer = app.ClientWithToken(team.Viewer.Token);
        var listed = await (await viewer.GetAsync($"/api/v1/projects/{team.Slug}/artifacts?type=dataset&search=CORP")).ReadOkAsync<List<ArtifactResponse>>();
        var artifact = Assert.Single(listed);
        Assert.Equal(("corpus", "dataset", 1, "v0"), (artifact.Name, artifact.Type, artifact.VersionCount, artifact.LatestVersion));
        Assert.Empty(await (await viewer.GetAsync($"/api/v1/projects/{team.Slug}/artifacts?type=model")).ReadOkAsync<List<ArtifactResponse>>());
        var single = await (await viewer.GetAsync($"/api/v1/projects/{team.Slug}/artifacts/corpus")).ReadOkAsync<ArtifactResponse>();
        Assert.Equal(artifact.Id, single.Id);
    }

    [SkippableFact]
    public async Task The_same_manifest_again_is_unchanged_whatever_its_order_or_encoding()
    {
        app.SkipIfUnavailable();
        var (_, _, uploads) = await ContributorAsync();
        var files = Enumerable.Range(0, 5).Select(i => ArtifactUploads.File($"f/{i}.txt")).ToList();
        var v0 = await uploads.PublishAsync("set", files);

        var reversed = files.Select(f => f.Entry).Reverse();
        var unchanged = await (await uploads.CreateNdjsonAsync("set", reversed, gzip: true)).ReadOkAsync<CreateVersionResponse>();
        Assert.Equal(CreateVersionStatus.Unchanged, unchanged.Status);
        Assert.Equal(v0.Version.Id, unchanged.Version!.Id);
        Assert.Equal(v0.Version.ManifestDigest, unchanged.ManifestDigest);
        Assert.Single((await uploads.ListVersionsAsync("set")).Items);
    }

    [SkippableFact]
    public async Task A_patch_of_a_large_version_shares_its_unchanged_ranges()
    {
        app.SkipIfUnavailable();
        var (_, client, uploads) = await ContributorAsync();
        // References need no blob upload, which keeps 6,000 entries fast; about six ranges.
        var entries = Enumerable.Range(0, 6000).Select(i => ArtifactUploads.Reference($"shard/{i:D5}.parquet")).ToList();
        var created = await (await uploads.CreateNdjsonAsync("big", entries, "type=dataset&aliases=golden,base&description=six%20thousand"))
            .ReadOkAsync<CreateVersionResponse>(HttpStatusCode.Created);
        Assert.Empty(created.MissingDigests);
        var v0 = await (await uploads.CommitAsync("big", created.VersionId!.Value)).ReadOkAsync<CommitVersionResponse>();
        Assert.Equal(["base", "golden", "latest"], v0.Version.Aliases);
        Assert.Equal("six thousand", v0.Version.Description);
        var rangesBefore = await QueryAsync(db => db.ManifestRanges.CountAsync());

        var changed = ArtifactUploads.Reference("shard/03000.parquet", "edited");
        var added = ArtifactUploads.File("zz/new.txt");
        var patch = new CreateVersionRequest("dataset", Base: "latest", Upserts: [changed, added.Entry], Deletes: ["shard/00007.parquet"]);
        var pending = await (await client.PostJsonAsync(uploads.VersionsUrl("big"), patch)).ReadOkAsync<CreateVersionResponse>(HttpStatusCode.Created);
        Assert.Equal(6000, pending.FileCount);
        Assert.Equal([added.Entry.Digest], pending.MissingDigests);
        await uploads.UploadAsync([added.Bytes]);
        var v1 = await (await uploads.CommitAsync("big", pending.VersionId!.Value)).ReadOkAsync<CommitVersionResponse>();
        Assert.Equal("v1", v1.Version.Version);

        var (before, after, rangesAfter) = await QueryAsync(async db =>
        {
            var r0 = await db.VersionRanges.Where(r => r.VersionId == v0.Version.Id).OrderBy(r => r.Ordinal).Select(r => r.RangeDigest).ToListAsync();
            var r1 = await db.VersionRanges.Where(r => r.VersionId == v1.Version.Id).OrderBy(r => r.Ordinal).Select(r => r.RangeDigest).ToListAsync();
            return (r0, r1, await db.ManifestRanges.CountAsync());
        });
        Assert.True(before.Count >= 3, $"expected several ranges, got {before.Count}");
        var shared = after.Intersect(before).Count();
        // Three edits touch at most three ranges; every other range is the same row.
        Assert.True(shared >= before.Count - 3, $"only {shared} of {before.Count} ranges shared");
        Assert.True(rangesAfter - rangesBefore <= 3, $"{rangesAfter - rangesBefore} new ranges stored");

        var patchOfUnknown = new CreateVersionRequest("dataset", Base: "v9", Upserts: [changed]);
        await (await client.PostJsonAsync(uploads.VersionsUrl("big"), patchOfUnknown)).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.BaseVersionNotFound);
        var deleteMissing = new CreateVersionRequest("dataset", Base: "v0", Deletes: ["no/such/path"]);
        await (await client.PostJsonAsync(uploads.VersionsUrl("big"), deleteMissing)).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.PatchPathMissing);
        var newArtifactPatch = new CreateVersionRequest("dataset", Base: "latest", Upserts: [changed]);
        await (await client.PostJsonAsync(uploads.VersionsUrl("never-made"), newArtifactPatch)).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.BaseVersionNotFound);
    }

    [SkippableFact]
    public async Task A_large_shuffled_gzip_manifest_streams_through_the_external_sort()
    {
        app.SkipIfUnavailable();
        var (_, client, uploads) = await ContributorAsync();
        // More entries than the sorter keeps in memory (100,000), so sorted runs spill to disk and are merged.
        const int count = 120_000;
        var entries = Enumerable.Range(0, count).Select(i => ArtifactUploads.Reference($"rows/{i % 97:D2}/{i:D6}.json")).ToList();
        var shuffled = entries.OrderBy(_ => Random.Shared.Next()).ToList();
        var ndjson = new System.Text.StringBuilder();
        foreach (var entry in shuffled)
            ndjson.Append(JsonSerializer.Serialize(entry, HttpAssertions.Json)).Append('\n');

        using var buffer = new MemoryStream();
        await using (var zip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            await zip.WriteAsync(System.Text.Encoding.UTF8.GetBytes(ndjson.ToString()));
        using var content = new ByteArrayContent(buffer.ToArray());
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-ndjson");
        content.Headers.ContentEncoding.Add("gzip");
        using var request = new HttpRequestMessage(HttpMethod.Post, uploads.VersionsUrl("rows") + "?type=dataset") { Content = content };
        request.Headers.Add("Portal-Metadata", "{\"source\":\"warehouse\",\"rows\":120000}");
        var created = await (await client.SendAsync(request)).ReadOkAsync<CreateVersionResponse>(HttpStatusCode.Created);
        Assert.Equal(count, created.FileCount);
        Assert.Empty(created.MissingDigests);

        var committed = await (await uploads.CommitAsync("rows", created.VersionId!.Value)).ReadOkAsync<CommitVersionResponse>();
        Assert.Equal("warehouse", committed.Version.Metadata.GetProperty("source").GetString());
        var (ranges, stored) = await QueryAsync(async db => (
            await db.VersionRanges.CountAsync(r => r.VersionId == created.VersionId),
            await db.VersionRanges.Where(r => r.VersionId == created.VersionId)
                .Join(db.RangeEntries, r => r.RangeDigest, e => e.RangeDigest, (r, e) => e).CountAsync()));
        // Content-defined boundaries average one per 1,024 paths.
        Assert.InRange(ranges, count / 4096, count / 256);
        Assert.Equal(count, stored);

        // The same files in the order they sort in: the same digest, so nothing new.
        var again = await (await uploads.CreateNdjsonAsync("rows", entries)).ReadOkAsync<CreateVersionResponse>();
        Assert.Equal((CreateVersionStatus.Unchanged, created.ManifestDigest), (again.Status, again.ManifestDigest));
    }

    [SkippableFact]
    public async Task Twenty_parallel_commits_of_different_content_get_v0_to_v19()
    {
        app.SkipIfUnavailable();
        var (_, _, uploads) = await ContributorAsync();
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            var created = await (await uploads.CreateAsync("parallel", [ArtifactUploads.Reference($"part-{i}.bin")]))
                .ReadOkAsync<CreateVersionResponse>(HttpStatusCode.Created);
            return await (await uploads.CommitAsync("parallel", created.VersionId!.Value)).ReadOkAsync<CommitVersionResponse>();
        }));
        Assert.All(results, r => Assert.Equal(CreateVersionStatus.Committed, r.Status));
        Assert.Equal(Enumerable.Range(0, 20), results.Select(r => r.Version.Index).Order());

        var listed = await uploads.ListVersionsAsync("parallel", "?limit=100");
        Assert.Equal(20, listed.Total);
        Assert.Equal(Enumerable.Range(0, 20).Reverse(), listed.Items.Select(v => v.Index));
        Assert.Equal(["latest"], listed.Items[0].Aliases);
    }

    [SkippableFact]
    public async Task Twenty_parallel_uploads_of_identical_content_make_one_version()
    {
        app.SkipIfUnavailable();
        var (_, _, uploads) = await ContributorAsync();
        var file = ArtifactUploads.File("same.txt", "identical bytes");
        await uploads.UploadAsync([file.Bytes]);
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            var response = await uploads.CreateAsync("twins", [file.Entry]);
            var created = await response.Content.ReadFromJsonAsync<CreateVersionResponse>(HttpAssertions.Json);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            if (created!.Status == CreateVersionStatus.Unchanged)
                return created.Version!;
            return (await (await uploads.CommitAsync("twins", created.VersionId!.Value)).ReadOkAsync<CommitVersionResponse>()).Version;
        }));
        Assert.Single(results.Select(v => v.Id).Distinct());
        Assert.All(results, v => Assert.Equal("v0", v.Version));
        var listed = await uploads.ListVersionsAsync("twins");
        Assert.Equal(1, listed.Total);
    }

    [SkippableFact]
    public async Task An_abandoned_pending_version_stays_invisible_and_a_retry_asks_only_for_what_is_still_missing()
    {
        app.SkipIfUnavailable();
        var (team, client, uploads) = await ContributorAsync();
        var files = Enumerable.Range(0, 3).Select(i => ArtifactUploads.File($"img/{i}.png")).ToList();
        var first = await (await uploads.CreateAsync("images", files.Select(f => f.Entry))).ReadOkAsync<CreateVersionResponse>(HttpStatusCode.Created);
        Assert.Equal(3, first.MissingDigests.Count);
        await uploads.UploadAsync([files[1].Bytes]);

        Assert.Empty((await uploads.ListVersionsAsync("images")).Items);
        await (await client.GetAsync($"{uploads.VersionsUrl("images")}/latest")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.VersionNotFound);
        var artifact = await (await client.GetAsync($"/api/v1/projects/{team.Slug}/artifacts/images")).ReadOkAsync<ArtifactResponse>();
        Assert.Equal((0, (string?)null), (artifact.VersionCount, artifact.LatestVersion));

        var retry = await (await uploads.CreateAsync("images", files.Select(f => f.Entry))).ReadOkAsync<CreateVersionResponse>(HttpStatusCode.Created);
        Assert.NotEqual(first.VersionId, retry.VersionId);
        Assert.Equal(new[] { files[0].Entry.Digest, files[2].Entry.Digest }.Order(StringComparer.Ordinal), retry.MissingDigests);

        // Aborting the abandoned one leaves it unusable; the retry commits as v0.
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync($"{uploads.VersionsUrl("images")}/{first.VersionId}/abort", null)).StatusCode);
        await (await uploads.CommitAsync("images", first.VersionId!.Value)).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.VersionNotPending);
        await uploads.UploadAsync([files[0].Bytes, files[2].Bytes]);
        var committed = await (await uploads.CommitAsync("images", retry.VersionId!.Value)).ReadOkAsync<CommitVersionResponse>();
        Assert.Equal("v0", committed.Version.Version);
        await (await client.PostAsync($"{uploads.VersionsUrl("images")}/{retry.VersionId}/abort", null)).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.VersionNotPending);
        var states = await QueryAsync(db => db.ArtifactVersions.Where(v => v.Id == first.VersionId).Select(v => v.State).SingleAsync());
        Assert.Equal(VersionState.Failed, states);
    }

    [SkippableTheory]
    [InlineData("../x")]
    [InlineData("/etc/passwd")]
    [InlineData("a//b")]
    [InlineData("a\\b")]
    [InlineData("a\0b")]
    [InlineData("a/./b")]
    [InlineData("")]
    public async Task Unsafe_paths_are_refused_naming_the_path(string path)
    {
        app.SkipIfUnavailable();
        var (_, client, uploads) = await ContributorAsync();
        var entry = new ManifestEntryModel(path, ArtifactUploads.Digest(path), 1);

        var json = await uploads.CreateAsync("paths", [ArtifactUploads.Reference("ok.txt"), entry]);
        var problem = await json.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.PathInvalid);
        Assert.Equal(path, problem.GetProperty("path").GetString());

        var ndjson = await uploads.CreateNdjsonAsync("paths", [ArtifactUploads.Reference("ok.txt"), entry]);
        var streamed = await ndjson.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.PathInvalid);
        Assert.Equal(path, streamed.GetProperty("path").GetString());
        Assert.Equal(2, streamed.GetProperty("line").GetInt32());

        // The refused uploads created nothing, not even the artifact.
        await (await client.GetAsync(uploads.VersionsUrl("paths"))).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ArtifactNotFound);
    }

    [SkippableFact]
    public async Task Bad_manifests_and_names_are_refused_with_codes()
    {
        app.SkipIfUnavailable();
        var (team, client, uploads) = await ContributorAsync();
        var ok = ArtifactUploads.Reference("a.txt");

        var duplicate = await uploads.CreateAsync("dups", [ok, ArtifactUploads.Reference("b.txt"), ok]);
        var dupProblem = await duplicate.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.PathDuplicate);
        Assert.Equal("a.txt", dupProblem.GetProperty("path").GetString());
        await (await uploads.CreateNdjsonAsync("dups", [ok, ok])).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.PathDuplicate);

        var malformed = await uploads.PostNdjsonAsync("bad", JsonSerializer.Serialize(ok, HttpAssertions.Json) + "\n{\"path\": \"b.txt\", \"digest\": \n");
        var malformedProblem = await malformed.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ManifestMalformed);
        Assert.Equal(2, malformedProblem.GetProperty("line").GetInt32());
        Assert.Contains("line 2", malformedProblem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await (await uploads.PostNdjsonAsync("bad", "{\"path\":\"x\",\"digest\":\"00\",\"size\":1}\n")).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.DigestInvalid);

        await (await uploads.CreateAsync("has space", [ok])).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ArtifactNameInvalid);
        await (await uploads.CreateAsync(new string('n', 129), [ok])).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ArtifactNameInvalid);
        await (await uploads.CreateAsync("typed", [ok], type: "Data Set")).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ArtifactTypeInvalid);
        await (await uploads.CreateAsync("typed", [ok], type: "")).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ArtifactTypeInvalid);
        (await uploads.CreateAsync("typed", [ok], type: "model")).EnsureSuccessStatusCode();
        await (await uploads.CreateAsync("typed", [ok], type: "dataset")).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.ArtifactTypeMismatch);
        await (await uploads.CreateNdjsonAsync("typed", [ok], "type=dataset")).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.ArtifactTypeMismatch);

        foreach (var alias in new[] { "latest", "v3" })
            await (await uploads.CreateAsync("aliased", [ok], aliases: [alias])).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.AliasReserved);
        await (await uploads.CreateAsync("aliased", [ok], aliases: ["Not Valid"])).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.AliasInvalid);

        var badMetadata = new CreateVersionRequest("dataset", Metadata: JsonDocument.Parse("[1,2]").RootElement, Entries: [ok]);
        await (await client.PostJsonAsync(uploads.VersionsUrl("meta"), badMetadata)).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.MetadataInvalid);
        var unknownRun = new CreateVersionRequest("dataset", RunId: Guid.NewGuid(), Entries: [ok]);
        await (await client.PostJsonAsync(uploads.VersionsUrl("meta"), unknownRun)).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.RunNotFound);
        using var text = new StringContent("path,digest", System.Text.Encoding.UTF8, "text/csv");
        await (await client.PostAsync(uploads.VersionsUrl("csv"), text)).AssertProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");

        // None of the refused requests created an artifact.
        var artifacts = await (await client.GetAsync($"/api/v1/projects/{team.Slug}/artifacts")).ReadOkAsync<List<ArtifactResponse>>();
        Assert.Equal(["typed"], artifacts.Select(a => a.Name));
    }

    [SkippableFact]
    public async Task Roles_and_projects_bound_every_call()
    {
        app.SkipIfUnavailable();
        var (team, _, uploads) = await ContributorAsync();
        var v0 = await uploads.PublishAsync("guarded", [], [ArtifactUploads.Reference("a.txt")]);

        var viewer = new ArtifactUploads(app.ClientWithToken(team.Viewer.Token), team.Slug);
        await (await viewer.CreateAsync("guarded", [ArtifactUploads.Reference("b.txt")])).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        await (await viewer.CommitAsync("guarded", v0.Version.Id)).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        var viewerClient = app.ClientWithToken(team.Viewer.Token);
        await (await viewerClient.PutAsJsonAsync($"/api/v1/projects/{team.Slug}/artifacts/guarded/aliases/prod", new SetAliasRequest("v0")))
            .AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        Assert.Single((await viewer.ListVersionsAsync("guarded")).Items);

        // A member of another project gets the same 404 as for a project that does not exist.
        var other = await app.Data.CreateProjectWithTeamAsync();
        var stranger = app.ClientWithToken(other.Contributor.Token);
        var strangerUploads = new ArtifactUploads(stranger, team.Slug);
        await (await strangerUploads.CreateAsync("guarded", [ArtifactUploads.Reference("c.txt")])).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ProjectNotFound);
        await (await stranger.GetAsync($"/api/v1/projects/{team.Slug}/artifacts/guarded/versions/v0")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ProjectNotFound);
        await (await strangerUploads.CommitAsync("guarded", v0.Version.Id)).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ProjectNotFound);
        // Their own project does not reach this version either.
        var ownUploads = new ArtifactUploads(stranger, other.Slug);
        await (await ownUploads.CommitAsync("guarded", v0.Version.Id)).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ArtifactNotFound);
        await (await stranger.GetAsync($"/api/v1/projects/{team.Slug}/artifacts")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ProjectNotFound);
    }

    [SkippableFact]
    public async Task Versions_page_newest_first_with_a_continuation_token()
    {
        app.SkipIfUnavailable();
        var (_, client, uploads) = await ContributorAsync();
        for (var i = 0; i < 5; i++)
            await uploads.PublishAsync("paged", [], [ArtifactUploads.Reference($"p{i}.txt")]);

        var seen = new List<int>();
        string? token = null;
        do
        {
            var query = token is null ? "?limit=2" : $"?limit=2&continuationToken={Uri.EscapeDataString(token)}";
            var page = await uploads.ListVersionsAsync("paged", query);
            Assert.Equal(5, page.Total);
            Assert.True(page.Items.Count <= 2);
            seen.AddRange(page.Items.Select(v => v.Index));
            token = page.ContinuationToken;
        }
        while (token is not null);
        Assert.Equal([4, 3, 2, 1, 0], seen);
        await (await client.GetAsync($"{uploads.VersionsUrl("paged")}?continuationToken=garbage")).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ContinuationTokenInvalid);
    }
}

public sealed class ArtifactVersionsApiTests_Sqlite(SqliteApp app) : ArtifactVersionsApiTests(app), IClassFixture<SqliteApp>;

public sealed class ArtifactVersionsApiTests_Postgres(PostgresApp app) : ArtifactVersionsApiTests(app), IClassFixture<PostgresApp>;

public sealed class ArtifactVersionsApiTests_SqlServer(SqlServerApp app) : ArtifactVersionsApiTests(app), IClassFixture<SqlServerApp>;
