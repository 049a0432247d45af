using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Storage;

namespace Portal.Web.Tests.Features.Artifacts;

/// <summary>
/// The upload, commit and download path over HTTP with the portal's blobs in a cloud store: S3 (s3rver, when
/// <c>PORTAL_TEST_S3</c> is set) or Azure Blob (Azurite, when <c>PORTAL_TEST_AZURITE</c> is set).
/// </summary>
public abstract class CloudBlobStoreApiTests(CloudBlobStoreApp app)
{
    [SkippableFact]
    public async Task Upload_commit_and_download_go_through_the_configured_store()
    {
        app.SkipIfUnavailable();
        Skip.If(app.StoreUnavailableReason is not null, app.StoreUnavailableReason);
        var store = app.Services.GetRequiredService<IBlobStore>();
        Assert.IsType(app.ExpectedStoreType, Assert.IsType<Portal.Core.Features.Artifacts.Packs.PackAwareBlobStore>(store).Objects);
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var uploads = new ArtifactUploads(client, team.Slug);
        var small = ArtifactUploads.File("notes.txt");
        // Bigger than an S3 part and two Azure blocks, so the request body streams through a multipart/block upload.
        var largeBytes = RandomNumberGenerator.GetBytes((9 * 1024 * 1024) + 123);
        var large = (Entry: new ManifestEntryModel("data/large.bin", BlobsApiTests.DigestOf(largeBytes), largeBytes.Length), Bytes: largeBytes);

        var committed = await uploads.PublishAsync("cloud", [small, large]);

        Assert.Equal("v0", committed.Version.Version);
        Assert.True(await store.VerifyAsync(large.Entry.Digest));
        Assert.Equal(largeBytes.Length, await store.GetSizeAsync(large.Entry.Digest));
        var viewer = app.ClientWithToken(team.Viewer.Token);
        var url = $"/api/v1/projects/{team.Slug}/versions/{committed.Version.Id}/file?path={Uri.EscapeDataString("data/large.bin")}";
        var download = await viewer.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(largeBytes, await download.Content.ReadAsByteArrayAsync());
        var notes = await viewer.GetAsync($"/api/v1/projects/{team.Slug}/versions/{committed.Version.Id}/file?path=notes.txt");
        Assert.Equal(small.Bytes, await notes.Content.ReadAsByteArrayAsync());

        using var ranged = new HttpRequestMessage(HttpMethod.Get, url);
        ranged.Headers.Range = new RangeHeaderValue(8 * 1024 * 1024 - 5, 8 * 1024 * 1024 + 4);
        var part = await viewer.SendAsync(ranged);
        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal(largeBytes[(8 * 1024 * 1024 - 5)..(8 * 1024 * 1024 + 5)], await part.Content.ReadAsByteArrayAsync());

        // A second upload of a stored blob is accepted without storing it again.
        (await client.PutAsync($"/api/v1/blobs/sha256/{large.Entry.Digest}", BlobsApiTests.Octets(largeBytes))).EnsureSuccessStatusCode();
        var wrong = await client.PutAsync($"/api/v1/blobs/sha256/{BlobsApiTests.DigestOf([1, 2, 3])}", BlobsApiTests.Octets([3, 2, 1]));
        await wrong.AssertProblemAsync((HttpStatusCode)422, ErrorCodes.DigestMismatch);
    }

    [SkippableFact]
    public async Task Packs_of_small_blobs_live_in_the_store_and_read_back_through_ranged_reads()
    {
        app.SkipIfUnavailable();
        Skip.If(app.StoreUnavailableReason is not null, app.StoreUnavailableReason);
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var files = Enumerable.Range(0, 200).Select(i => ArtifactUploads.File($"chunks/{i:D3}.txt", $"chunk {i} {Guid.NewGuid()} " + new string('y', i * 7))).ToList();
        (await client.PostAsync($"/api/v1/blobs/batch?project={team.Slug}", await BlobBatchApiTests.TarAsync(files.Select(f => (f.Entry.Digest, f.Bytes))))).EnsureSuccessStatusCode();
        var uploads = new ArtifactUploads(client, team.Slug);
        var created = await (await uploads.CreateAsync("chunks", files.Select(f => f.Entry))).ReadOkAsync<CreateVersionResponse>(HttpStatusCode.Created);
        Assert.Empty(created.MissingDigests);
        var committed = await (await uploads.CommitAsync("chunks", created.VersionId!.Value)).ReadOkAsync<CommitVersionResponse>();

        var packs = (Portal.Core.Features.Artifacts.Packs.PackAwareBlobStore)app.Services.GetRequiredService<IBlobStore>();
        var digest = files[150].Entry.Digest;
        Assert.True(await packs.VerifyAsync(digest));
        Assert.False(await packs.Objects.ExistsAsync(digest));
        var viewer = app.ClientWithToken(team.Viewer.Token);
        var one = await viewer.GetAsync($"/api/v1/projects/{team.Slug}/versions/{committed.Version!.Id}/file?path=chunks/150.txt");
        Assert.Equal(files[150].Bytes, await one.Content.ReadAsByteArrayAsync());

        using var sdk = new PortalClient(viewer);
        var received = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var errors = await sdk.DownloadBlobBatchAsync(team.Slug, files.Select(f => f.Entry.Digest).ToList(), async (d, data, ct) =>
        {
            using var copy = new MemoryStream();
            await data.CopyToAsync(copy, ct);
            received[d] = copy.ToArray();
        });
        Assert.Empty(errors);
        Assert.All(files, f => Assert.Equal(f.Bytes, received[f.Entry.Digest]));
    }
}

/// <summary>A portal whose blob store is S3 or Azure Blob, in a bucket or container of its own.</summary>
public abstract class CloudBlobStoreApp(DatabaseProvider database, BlobStoreProvider store) : PortalApp(database)
{
    private readonly string _name = "portal-api-" + Guid.NewGuid().ToString("N")[..16];

    public Type ExpectedStoreType => store == BlobStoreProvider.S3 ? typeof(S3BlobStore) : typeof(AzureBlobStore);

    public string? StoreUnavailableReason => store switch
    {
        BlobStoreProvider.S3 when string.IsNullOrEmpty(Environment.GetEnvironmentVariable("PORTAL_TEST_S3")) =>
            "PORTAL_TEST_S3 is not set; infra/scripts/start-blob-servers.sh starts s3rver.",
        BlobStoreProvider.AzureBlob when string.IsNullOrEmpty(Environment.GetEnvironmentVariable("PORTAL_TEST_AZURITE")) =>
            "PORTAL_TEST_AZURITE is not set; infra/scripts/start-blob-servers.sh starts Azurite.",
        _ => null,
    };

    protected override IDictionary<string, string?> Settings => StoreUnavailableReason is not null
        ? new Dictionary<string, string?>()
        : store == BlobStoreProvider.S3
            ? new Dictionary<string, string?>
            {
                ["Storage:Provider"] = "S3",
                ["Storage:S3:ServiceUrl"] = Environment.GetEnvironmentVariable("PORTAL_TEST_S3"),
                ["Storage:S3:Bucket"] = _name,
                ["Storage:S3:AccessKey"] = "S3RVER",
                ["Storage:S3:SecretKey"] = "S3RVER",
                ["Storage:S3:ForcePathStyle"] = "true",
            }
            : new Dictionary<string, string?>
            {
                ["Storage:Provider"] = "AzureBlob",
                ["Storage:Azure:ConnectionString"] = Environment.GetEnvironmentVariable("PORTAL_TEST_AZURITE"),
                ["Storage:Azure:Container"] = _name,
            };
}

public sealed class S3SqliteApp() : CloudBlobStoreApp(DatabaseProvider.Sqlite, BlobStoreProvider.S3);

public sealed class S3PostgresApp() : CloudBlobStoreApp(DatabaseProvider.Postgres, BlobStoreProvider.S3);

public sealed class AzureSqliteApp() : CloudBlobStoreApp(DatabaseProvider.Sqlite, BlobStoreProvider.AzureBlob);

public sealed class AzurePostgresApp() : CloudBlobStoreApp(DatabaseProvider.Postgres, BlobStoreProvider.AzureBlob);

public sealed class CloudBlobStoreApiTests_S3_Sqlite(S3SqliteApp app) : CloudBlobStoreApiTests(app), IClassFixture<S3SqliteApp>;

public sealed class CloudBlobStoreApiTests_S3_Postgres(S3PostgresApp app) : CloudBlobStoreApiTests(app), IClassFixture<S3PostgresApp>;

public sealed class CloudBlobStoreApiTests_Azure_Sqlite(AzureSqliteApp app) : CloudBlobStoreApiTests(app), IClassFixture<AzureSqliteApp>;

public sealed class CloudBlobStoreApiTests_Azure_Postgres(AzurePostgresApp app) : CloudBlobStoreApiTests(app), IClassFixture<AzurePostgresApp>;
