using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;

namespace Portal.Web.Tests.Features.Artifacts;

public abstract class BlobsApiTests(PortalApp app)
{
    internal static string DigestOf(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    internal static ByteArrayContent Octets(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    private Task<bool> IsRecordedAsync(string digest) =>
        app.WithServicesAsync(async sp =>
        {
            await using var db = await sp.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await db.StoredBlobs.AnyAsync(b => b.Digest == digest);
        });

    [SkippableFact]
    public async Task A_blob_round_trips_and_a_second_put_is_idempotent()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var bytes = RandomNumberGenerator.GetBytes(100_000);
        var digest = DigestOf(bytes);

        var missingBefore = await (await client.PostJsonAsync("/api/v1/blobs/missing", new MissingBlobsRequest([digest])))
            .ReadOkAsync<MissingBlobsResponse>();
        Assert.Equal([digest], missingBefore.Missing);

        var first = await (await client.PutAsync($"/api/v1/blobs/sha256/{digest}", Octets(bytes)))
            .ReadOkAsync<BlobPutResponse>(HttpStatusCode.Created);
        Assert.Equal(new BlobPutResponse(digest, bytes.Length, false), first);
        Assert.True(await IsRecordedAsync(digest));

        var again = await (await client.PutAsync($"/api/v1/blobs/sha256/{digest}", Octets(bytes)))
            .ReadOkAsync<BlobPutResponse>();
        Assert.Equal(new BlobPutResponse(digest, bytes.Length, true), again);

        var missingAfter = await (await client.PostJsonAsync("/api/v1/blobs/missing", new MissingBlobsRequest([digest, digest])))
            .ReadOkAsync<MissingBlobsResponse>();
        Assert.Empty(missingAfter.Missing);
    }

    [SkippableFact]
    public async Task Bytes_that_do_not_hash_to_the_digest_are_refused_and_nothing_is_stored()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var claimed = DigestOf(RandomNumberGenerator.GetBytes(64));

        var lie = await client.PutAsync($"/api/v1/blobs/sha256/{claimed}", Octets(RandomNumberGenerator.GetBytes(5000)));
        await lie.AssertProblemAsync((HttpStatusCode)422, ErrorCodes.DigestMismatch);
        Assert.False(await IsRecordedAsync(claimed));
        var missing = await (await client.PostJsonAsync("/api/v1/blobs/missing", new MissingBlobsRequest([claimed])))
            .ReadOkAsync<MissingBlobsResponse>();
        Assert.Equal([claimed], missing.Missing);
        Assert.Empty(Directory.EnumerateFiles(app.StorageRoot, claimed, SearchOption.AllDirectories));
    }

    [SkippableFact]
    public async Task Bad_digests_and_oversized_lists_are_400()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var upper = DigestOf([1, 2, 3]).ToUpperInvariant();
        await (await client.PutAsync($"/api/v1/blobs/sha256/{upper}", Octets([1, 2, 3]))).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.DigestInvalid);
        await (await client.PutAsync("/api/v1/blobs/sha256/abc", Octets([1]))).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.DigestInvalid);
        await (await client.PostJsonAsync("/api/v1/blobs/missing", new MissingBlobsRequest(["nope"])))
            .AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.DigestInvalid);
        var tooMany = Enumerable.Range(0, MissingBlobsRequest.MaxDigests + 1).Select(i => DigestOf(BitConverter.GetBytes(i))).ToList();
        await (await client.PostJsonAsync("/api/v1/blobs/missing", new MissingBlobsRequest(tooMany)))
            .AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.TooManyDigests);
    }

    [SkippableFact]
    public async Task Viewers_only_and_anonymous_callers_cannot_upload()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var bytes = RandomNumberGenerator.GetBytes(10);
        var digest = DigestOf(bytes);
        await (await app.ClientWithToken(team.Viewer.Token).PutAsync($"/api/v1/blobs/sha256/{digest}", Octets(bytes)))
            .AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        await (await app.AnonymousClient().PutAsync($"/api/v1/blobs/sha256/{digest}", Octets(bytes)))
            .AssertProblemAsync(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
        Assert.False(await IsRecordedAsync(digest));
    }
}

public sealed class BlobsApiTests_Sqlite(SqliteApp app) : BlobsApiTests(app), IClassFixture<SqliteApp>;

public sealed class BlobsApiTests_Postgres(PostgresApp app) : BlobsApiTests(app), IClassFixture<PostgresApp>;

public sealed class BlobsApiTests_SqlServer(SqlServerApp app) : BlobsApiTests(app), IClassFixture<SqlServerApp>;

/// <summary>The size limit comes from configuration; a small one keeps the test fast.</summary>
public sealed class SmallBlobLimitApp : PortalApp
{
    public SmallBlobLimitApp()
        : base(DatabaseProvider.Sqlite)
    {
    }

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Storage:MaxBlobBytes"] = "1000" };
}

public sealed class BlobSizeLimitTests(SmallBlobLimitApp app) : IClassFixture<SmallBlobLimitApp>
{
    [Fact]
    public async Task A_blob_over_the_configured_limit_is_413()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var bytes = RandomNumberGenerator.GetBytes(1001);
        var response = await client.PutAsync($"/api/v1/blobs/sha256/{BlobsApiTests.DigestOf(bytes)}", Octets(bytes));
        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge, ErrorCodes.BlobTooLarge);
        var small = RandomNumberGenerator.GetBytes(1000);
        (await client.PutAsync($"/api/v1/blobs/sha256/{BlobsApiTests.DigestOf(small)}", Octets(small))).EnsureSuccessStatusCode();
    }

    private static ByteArrayContent Octets(byte[] bytes) => BlobsApiTests.Octets(bytes);
}
