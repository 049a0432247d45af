using Portal.Core.Features.Access;

namespace Portal.Web.Tests.Features.Registry;

/// <summary>
/// The registry API end to end, with the role matrix of its endpoints: anonymous callers get 401; every signed-in user
/// reads; linking needs Contributor in the collection (and read access to the source); card edits and unlinks need Admin.
/// </summary>
public abstract class RegistryApiTests(PortalApp app)
{
    private sealed record Setup(TestProject Team, string Collection, ArtifactVersionResponse V0, TestUser Outsider);

    private async Task<Setup> SetupAsync()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        var v0 = await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "index", "index", null, "first", ("a.bin", "alpha"), ("b.bin", "beta"));
        var name = TestData.UniqueSlug("reg");
        var created = await (await app.ClientWithToken(team.Admin.Token).PostJsonAsync("/api/v1/registry/collections",
                new CreateRegistryCollectionRequest(name, "index", "Retriever", "# Retriever\n<script>alert(1)</script>", ["licence"], new Dictionary<string, string> { ["licence"] = "MIT" })))
            .ReadOkAsync<RegistryCollectionResponse>(HttpStatusCode.Created);
        Assert.Equal(("Admin", "index"), (created.Role, created.Type));
        await app.Data.AddMemberAsync(team.Admin, name, team.Contributor, ProjectRole.Contributor);
        await app.Data.AddMemberAsync(team.Admin, name, team.Viewer, ProjectRole.Viewer);
        return new Setup(team, name, v0, await app.Data.CreateUserAsync("outsider"));
    }

    [SkippableFact]
    public async Task Link_list_show_lineage_and_download_a_linked_version_through_the_api()
    {
        app.SkipIfUnavailable();
        var s = await SetupAsync();
        var contributor = app.ClientWithToken(s.Team.Contributor.Token);
        var linked = await (await contributor.PostJsonAsync($"/api/v1/registry/collections/{s.Collection}/links", new LinkRegistryVersionRequest(s.Team.Slug, "index", "v0")))
            .ReadOkAsync<RegistryVersionResponse>(HttpStatusCode.Created);
        Assert.Equal(("v0", s.V0.ManifestDigest), (linked.Version, linked.ManifestDigest));

        var outsider = app.ClientWithToken(s.Outsider.Token);
        var listed = await (await outsider.GetAsync($"/api/v1/registry/collections?search={s.Collection}")).ReadOkAsync<List<RegistryCollectionResponse>>();
        Assert.Equal(s.Collection, Assert.Single(listed).Name);
        var versions = await (await outsider.GetAsync($"/api/v1/registry/collections/{s.Collection}/versions")).ReadOkAsync<List<RegistryVersionResponse>>();
        var seen = Assert.Single(versions);
        Assert.False(seen.Source.Accessible);
        var raw = await (await outsider.GetAsync($"/api/v1/registry/collections/{s.Collection}/versions/latest")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(s.Team.Slug, raw, StringComparison.Ordinal);
        var lineage = await (await outsider.GetAsync($"/api/v1/registry/collections/{s.Collection}/versions/v0/lineage")).ReadOkAsync<RegistryLineageResponse>();
        Assert.Null(lineage.SourceGraph);
        var readerLineage = await (await contributor.GetAsync($"/api/v1/registry/collections/{s.Collection}/versions/v0/lineage")).ReadOkAsync<RegistryLineageResponse>();
        Assert.NotNull(readerLineage.SourceGraph);

        // The bytes of the linked version download through the collection, for any reader of the registry.
        var file = await outsider.GetAsync($"/api/v1/projects/{s.Collection}/versions/{linked.Id}/file?path=a.bin");
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal("alpha", await file.Content.ReadAsStringAsync());
        var digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("alpha"u8));
        var batch = await outsider.PostJsonAsync($"/api/v1/projects/{s.Collection}/blobs/download", new BlobBatchDownloadRequest([digest]));
        Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
        var tar = await batch.Content.ReadAsStringAsync();
        Assert.Contains("alpha", tar, StringComparison.Ordinal);
        Assert.DoesNotContain(ErrorCodes.BlobNotFound, tar, StringComparison.Ordinal);

        // The SDK says the same.
        using var sdk = new PortalClient(app.ClientWithToken(s.Outsider.Token));
        var collection = await sdk.GetRegistryCollectionAsync(s.Collection);
        Assert.Equal(("Viewer", 1, "v0"), (collection.Role, collection.VersionCount, collection.Aliases["latest"]));
        var problem = await Assert.ThrowsAsync<PortalApiException>(() => sdk.LinkRegistryVersionAsync(s.Collection, new LinkRegistryVersionRequest(s.Team.Slug, "index", "v0")));
        Assert.Equal(HttpStatusCode.Forbidden, problem.Status);
    }

    [SkippableFact]
    public async Task Every_registry_endpoint_answers_each_role_as_the_matrix_says()
    {
        app.SkipIfUnavailable();
        var s = await SetupAsync();
        var c = s.Collection;
        var anonymous = app.AnonymousClient();
        var outsider = app.ClientWithToken(s.Outsider.Token);
        var viewer = app.ClientWithToken(s.Team.Viewer.Token);
        var contributor = app.ClientWithToken(s.Team.Contributor.Token);
        var admin = app.ClientWithToken(s.Team.Admin.Token);
        await (await contributor.PostJsonAsync($"/api/v1/registry/collections/{c}/links", new LinkRegistryVersionRequest(s.Team.Slug, "index", "v0"))).ReadOkAsync<RegistryVersionResponse>(HttpStatusCode.Created);

        string[] reads =
        [
            "/api/v1/registry/collections", $"/api/v1/registry/collections/{c}", $"/api/v1/registry/collections/{c}/versions",
            $"/api/v1/registry/collections/{c}/versions/v0", $"/api/v1/registry/collections/{c}/versions/v0/lineage",
        ];
        foreach (var url in reads)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(url)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await outsider.GetAsync(url)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync(url)).StatusCode);
        }

        var patch = new UpdateRegistryCollectionRequest(Title: "Retriever 2");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PatchAsJsonAsync($"/api/v1/registry/collections/{c}", patch)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await outsider.PatchAsJsonAsync($"/api/v1/registry/collections/{c}", patch)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await contributor.PatchAsJsonAsync($"/api/v1/registry/collections/{c}", patch)).StatusCode);
        Assert.Equal("Retriever 2", (await (await admin.PatchAsJsonAsync($"/api/v1/registry/collections/{c}", patch)).ReadOkAsync<RegistryCollectionResponse>()).Title);

        var link = new LinkRegistryVersionRequest(s.Team.Slug, "index", "v0");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync($"/api/v1/registry/collections/{c}/links", link)).StatusCode);
        await (await outsider.PostJsonAsync($"/api/v1/registry/collections/{c}/links", link)).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        await (await viewer.PostJsonAsync($"/api/v1/registry/collections/{c}/links", link)).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        await (await contributor.PostJsonAsync($"/api/v1/registry/collections/{c}/links", link)).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.RegistryAlreadyLinked);

        var promote = new CreatePromotionRequest("v0", "production");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync($"/api/v1/registry/collections/{c}/promotions", promote)).StatusCode);
        await (await viewer.PostJsonAsync($"/api/v1/registry/collections/{c}/promotions", promote)).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/v1/projects/{c}/promotion-policies/production", new PromotionPolicyRequest())).StatusCode);
        var request = await (await contributor.PostJsonAsync($"/api/v1/registry/collections/{c}/promotions", promote)).ReadOkAsync<PromotionResponse>(HttpStatusCode.Created);
        Assert.Equal(("production", "v0"), (request.Alias, request.Version));
        await (await contributor.PostJsonAsync($"/api/v1/registry/collections/{s.Team.Slug}/promotions", promote)).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.RegistryCollectionNotFound);

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.DeleteAsync($"/api/v1/registry/collections/{c}/links/v0")).StatusCode);
        await (await outsider.DeleteAsync($"/api/v1/registry/collections/{c}/links/v0")).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        await (await contributor.DeleteAsync($"/api/v1/registry/collections/{c}/links/v0")).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        var unlinked = await (await admin.DeleteAsync($"/api/v1/registry/collections/{c}/links/v0")).ReadOkAsync<RegistryVersionResponse>();
        Assert.NotNull(unlinked.UnlinkedAt);

        var create = new CreateRegistryCollectionRequest(TestData.UniqueSlug("reg"), "model");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/v1/registry/collections", create)).StatusCode);
        await (await outsider.PostJsonAsync("/api/v1/registry/collections", create)).ReadOkAsync<RegistryCollectionResponse>(HttpStatusCode.Created);
        await (await outsider.PostJsonAsync("/api/v1/registry/collections", create)).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.RegistryNameTaken);
        await (await outsider.GetAsync("/api/v1/registry/collections/no-such-collection")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.RegistryCollectionNotFound);
    }
}

public sealed class RegistryApiTests_Sqlite(SqliteApp app) : RegistryApiTests(app), IClassFixture<SqliteApp>;

public sealed class RegistryApiTests_Postgres(PostgresApp app) : RegistryApiTests(app), IClassFixture<PostgresApp>;
