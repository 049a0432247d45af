using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Access;

namespace Portal.Web.Tests.Features.Artifacts;

/// <summary>
/// Knowing a digest is not owning the bytes: a project sees as present, and may commit, only the blobs it holds; and a
/// size in a manifest is a claim the portal checks against the blob it measured.
/// </summary>
public abstract class BlobPossessionApiTests(PortalApp app)
{
    private static (ManifestEntryModel Entry, byte[] Bytes) Secret(string path) =>
        ArtifactUploads.File(path, "salary table " + Guid.NewGuid());

    /// <summary>Another account with a project of its own, as anyone may make.</summary>
    private async Task<(TestUser User, string Slug, HttpClient Client)> OutsiderAsync()
    {
        var user = await app.Data.CreateUserAsync("outsider");
        var project = await app.Data.CreateProjectAsync(user);
        return (user, project.Slug, app.ClientWithToken(user.Token));
    }

    [SkippableFact]
    public async Task A_digest_known_from_another_project_is_missing_and_cannot_be_committed_or_read()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var secret = Secret("hr/salaries.csv");
        await new ArtifactUploads(app.ClientWithToken(team.Contributor.Token), team.Project.Slug).PublishAsync("hr", [secret]);

        var (_, slug, client) = await OutsiderAsync();
        var uploads = new ArtifactUploads(client, slug);
        var created = await (await uploads.CreateAsync("loot", [secret.Entry])).ReadOkAsync<CreateVersionResponse>(HttpStatusCode.Created);
        Assert.Equal([secret.Entry.Digest], created.MissingDigests);
        var refused = await uploads.CommitAsync("loot", created.VersionId!.Value);
        var problem = await refused.AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.BlobsMissing);
        Assert.Equal(secret.Entry.Digest, problem.GetProperty("missingDigests")[0].GetString());

        // Neither the missing list nor the reverse look-up confirms that the blob exists anywhere.
        foreach (var request in new[] { new MissingBlobsRequest([secret.Entry.Digest]), new MissingBlobsRequest([secret.Entry.Digest], slug) })
        {
            var missing = await (await client.PostJsonAsync("/api/v1/blobs/missing", request)).ReadOkAsync<MissingBlobsResponse>();
            Assert.Equal([secret.Entry.Digest], missing.Missing);
        }
        var holders = await (await client.GetAsync($"/api/v1/blobs/sha256/{secret.Entry.Digest}/versions")).ReadOkAsync<List<ContainingVersion>>();
        Assert.Empty(holders);
        await (await client.GetAsync($"/api/v1/projects/{slug}/artifacts/loot/versions/v0")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.VersionNotFound);
    }

    [SkippableFact]
    public async Task Uploading_bytes_the_store_has_proves_possession_and_stores_nothing_new()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var shared = Secret("data/public.csv");
        await new ArtifactUploads(app.ClientWithToken(team.Contributor.Token), team.Project.Slug).PublishAsync("data", [shared]);
        var blobFiles = Directory.EnumerateFiles(app.StorageRoot, "*", SearchOption.AllDirectories).Count();

        var (_, slug, client) = await OutsiderAsync();
        var uploads = new ArtifactUploads(client, slug);
        var created = await (await uploads.CreateAsync("copy", [shared.Entry])).ReadOkAsync<CreateVersionResponse>(HttpStatusCode.Created);
        Assert.Equal([shared.Entry.Digest], created.MissingDigests);

        // Claiming the stored digest with other bytes (single and batch upload) proves nothing.
        await (await client.PutAsync($"/api/v1/blobs/sha256/{shared.Entry.Digest}?project={slug}", BlobsApiTests.Octets([1, 2, 3])))
            .AssertProblemAsync((HttpStatusCode)422, ErrorCodes.DigestMismatch);
        await (await client.PutAsync($"/api/v1/blobs/sha256/{shared.Entry.Digest}?project={slug}", BlobsApiTests.Octets([.. shared.Bytes, 0])))
            .AssertProblemAsync((HttpStatusCode)422, ErrorCodes.DigestMismatch);
        await (await client.PostAsync($"/api/v1/blobs/batch?project={slug}", await BlobBatchApiTests.TarAsync([(shared.Entry.Digest, new byte[shared.Bytes.Length])])))
            .AssertProblemAsync((HttpStatusCode)422, ErrorCodes.DigestMismatch);
        await (await uploads.CommitAsync("copy", created.VersionId!.Value)).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.BlobsMissing);

        var put = await (await client.PutAsync($"/api/v1/blobs/sha256/{shared.Entry.Digest}?project={slug}", BlobsApiTests.Octets(shared.Bytes)))
            .ReadOkAsync<BlobPutResponse>();
        Assert.True(put.AlreadyStored);
        Assert.Equal(blobFiles, Directory.EnumerateFiles(app.StorageRoot, "*", SearchOption.AllDirectories).Count());

        var committed = await (await uploads.CommitAsync("copy", created.VersionId!.Value)).ReadOkAsync<CommitVersionResponse>();
        var file = await client.GetAsync($"/api/v1/projects/{slug}/versions/{committed.Version!.Id}/file?path=data/public.csv");
        Assert.Equal(shared.Bytes, await file.Content.ReadAsByteArrayAsync());
        var missing = await (await client.PostJsonAsync("/api/v1/blobs/missing", new MissingBlobsRequest([shared.Entry.Digest], slug))).ReadOkAsync<MissingBlobsResponse>();
        Assert.Empty(missing.Missing);
    }

    [SkippableFact]
    public async Task Bytes_uploaded_without_a_project_count_for_the_uploader_only_until_a_commit_gives_them_to_the_project()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var file = Secret("notes.txt");
        // The contributor uploads without naming a project (the plain API call).
        (await app.ClientWithToken(team.Contributor.Token).PutAsync($"/api/v1/blobs/sha256/{file.Entry.Digest}", BlobsApiTests.Octets(file.Bytes)))
            .EnsureSuccessStatusCode();

        // Another contributor of the same project did not upload it: missing for them.
        var other = await app.Data.CreateUserAsync("other");
        await app.Data.AddMemberAsync(team.Admin, team.Project.Slug, other, ProjectRole.Contributor);
        var otherUploads = new ArtifactUploads(app.ClientWithToken(other.Token), team.Project.Slug);
        var theirs = await (await otherUploads.CreateAsync("notes", [file.Entry])).ReadOkAsync<CreateVersionResponse>(HttpStatusCode.Created);
        Assert.Equal([file.Entry.Digest], theirs.MissingDigests);

        // The uploader's own version may name it; once committed, the project holds it for every member.
        var mine = new ArtifactUploads(app.ClientWithToken(team.Contributor.Token), team.Project.Slug);
        var created = await (await mine.CreateAsync("notes", [file.Entry])).ReadOkAsync<CreateVersionResponse>(HttpStatusCode.Created);
        Assert.Empty(created.MissingDigests);
        await (await mine.CommitAsync("notes", created.VersionId!.Value)).ReadOkAsync<CommitVersionResponse>();
        await (await otherUploads.CommitAsync("notes", theirs.VersionId!.Value)).ReadOkAsync<CommitVersionResponse>();
        var held = await app.WithServicesAsync(async sp =>
        {
            await using var db = await sp.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await db.ProjectBlobs.CountAsync(p => p.ProjectId == team.Project.Id && p.Digest == file.Entry.Digest);
        });
        Assert.Equal(1, held);
    }

    [SkippableFact]
    public async Task Uploads_into_a_project_need_its_contributor_role()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var (_, _, outsider) = await OutsiderAsync();
        var file = Secret("x.bin");
        await (await outsider.PutAsync($"/api/v1/blobs/sha256/{file.Entry.Digest}?project={team.Project.Slug}", BlobsApiTests.Octets(file.Bytes)))
            .AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ProjectNotFound);
        await (await app.ClientWithToken(team.Viewer.Token).PostJsonAsync("/api/v1/blobs/missing", new MissingBlobsRequest([file.Entry.Digest], team.Project.Slug)))
            .AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
    }

    [SkippableTheory]
    [InlineData(1L)]
    [InlineData(999_999L)]
    public async Task A_declared_size_that_is_not_the_blobs_is_refused_at_commit(long declared)
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var uploads = new ArtifactUploads(app.ClientWithToken(team.Contributor.Token), team.Project.Slug);
        var real = Encoding.UTF8.GetBytes("hello, world!");
        var entry = new ManifestEntryModel("greeting.txt", BlobsApiTests.DigestOf(real), declared);

        var created = await (await uploads.CreateAsync("sizes", [entry])).ReadOkAsync<CreateVersionResponse>(HttpStatusCode.Created);
        await uploads.UploadAsync([real]);
        var problem = await (await uploads.CommitAsync("sizes", created.VersionId!.Value)).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.SizeMismatch);
        Assert.Equal("greeting.txt", problem.GetProperty("path").GetString());
        Assert.Equal(declared, problem.GetProperty("declaredSize").GetInt64());
        Assert.Equal(real.Length, problem.GetProperty("actualSize").GetInt64());
        Assert.Empty((await uploads.ListVersionsAsync("sizes")).Items);
    }

    [SkippableFact]
    public async Task A_wrong_size_for_a_blob_the_project_holds_is_refused_at_create_for_manifests_and_patches()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var uploads = new ArtifactUploads(app.ClientWithToken(team.Contributor.Token), team.Project.Slug);
        var big = RandomNumberGenerator.GetBytes(50_000);
        var file = (Entry: new ManifestEntryModel("model.bin", BlobsApiTests.DigestOf(big), big.Length), Bytes: big);
        var v0 = await uploads.PublishAsync("weights", [file]);

        // A full manifest claiming 10 bytes: refused before any upload, and no version appears.
        var lie = file.Entry with { Path = "copy.bin", Size = 10 };
        var problem = await (await uploads.CreateAsync("weights", [file.Entry, lie])).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.SizeMismatch);
        Assert.Equal("copy.bin", problem.GetProperty("path").GetString());
        Assert.Equal(big.Length, problem.GetProperty("actualSize").GetInt64());

        // The same claim as a patch on v0.
        var patch = await app.ClientWithToken(team.Contributor.Token).PostJsonAsync(uploads.VersionsUrl("weights"),
            new CreateVersionRequest(null, Base: "v0", Upserts: [lie]));
        await patch.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.SizeMismatch);
        var versions = await uploads.ListVersionsAsync("weights");
        Assert.Equal([v0.Version!.Id], versions.Items.Select(v => v.Id));
    }
}

public sealed class BlobPossessionApiTests_Sqlite(SqliteApp app) : BlobPossessionApiTests(app), IClassFixture<SqliteApp>;

public sealed class BlobPossessionApiTests_Postgres(PostgresApp app) : BlobPossessionApiTests(app), IClassFixture<PostgresApp>;

public sealed class BlobPossessionApiTests_SqlServer(SqlServerApp app) : BlobPossessionApiTests(app), IClassFixture<SqlServerApp>;
