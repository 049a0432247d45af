using System.Formats.Tar;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Storage;

namespace Portal.Web.Tests.Features.Artifacts;

public abstract class BlobBatchApiTests(PortalApp app)
{
    internal static async Task<ByteArrayContent> TarAsync(IEnumerable<(string Name, byte[] Bytes)> entries)
    {
        using var buffer = new MemoryStream();
        await using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, bytes) in entries)
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(bytes) });
        }

        var content = new ByteArrayContent(buffer.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        return content;
    }

    [SkippableFact]
    public async Task Many_small_blobs_upload_in_one_tar_and_each_is_verified_and_recorded()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var blobs = Enumerable.Range(0, 300).Select(_ => RandomNumberGenerator.GetBytes(Random.Shared.Next(0, 2048))).ToList();
        var entries = blobs.Select((b, i) => (i % 2 == 0 ? BlobsApiTests.DigestOf(b) : "sha256/" + BlobsApiTests.DigestOf(b), b)).ToList();

        var results = await (await client.PostAsync("/api/v1/blobs/batch", await TarAsync(entries))).ReadOkAsync<List<BlobPutResponse>>();
        Assert.Equal(blobs.Select(BlobsApiTests.DigestOf), results.Select(r => r.Digest));
        var missing = await (await client.PostJsonAsync("/api/v1/blobs/missing", new MissingBlobsRequest(blobs.Select(BlobsApiTests.DigestOf).ToList())))
            .ReadOkAsync<MissingBlobsResponse>();
        Assert.Empty(missing.Missing);
        var store = app.Services.GetRequiredService<IBlobStore>();
        Assert.True(await store.VerifyAsync(BlobsApiTests.DigestOf(blobs[42])));

        var again = await (await client.PostAsync("/api/v1/blobs/batch", await TarAsync(entries.Take(3)))).ReadOkAsync<List<BlobPutResponse>>();
        Assert.All(again, r => Assert.True(r.AlreadyStored));
    }

    [SkippableFact]
    public async Task A_lying_entry_stops_the_batch_and_is_not_stored()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var good = RandomNumberGenerator.GetBytes(100);
        var claimed = BlobsApiTests.DigestOf(RandomNumberGenerator.GetBytes(100));
        var response = await client.PostAsync("/api/v1/blobs/batch", await TarAsync([(BlobsApiTests.DigestOf(good), good), (claimed, RandomNumberGenerator.GetBytes(100))]));
        await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, ErrorCodes.DigestMismatch);
        var missing = await (await client.PostJsonAsync("/api/v1/blobs/missing", new MissingBlobsRequest([BlobsApiTests.DigestOf(good), claimed])))
            .ReadOkAsync<MissingBlobsResponse>();
        Assert.Equal([claimed], missing.Missing);
        Assert.False(await app.Services.GetRequiredService<IBlobStore>().ExistsAsync(claimed));
    }

    [SkippableFact]
    public async Task Bad_batches_are_refused_with_codes()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var badName = await client.PostAsync("/api/v1/blobs/batch", await TarAsync([("../../etc/passwd", [1, 2, 3])]));
        await badName.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.DigestInvalid);

        // Not a tar: the header's checksum field is not octal. Random bytes were not reliably so — a NUL at the start of
        // that field reads as the end of an empty archive.
        var garbage = new ByteArrayContent(Enumerable.Repeat((byte)'x', 5000).ToArray());
        garbage.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        await (await client.PostAsync("/api/v1/blobs/batch", garbage)).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.BatchMalformed);

        var wrongType = new ByteArrayContent([1, 2, 3]);
        wrongType.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await client.PostAsync("/api/v1/blobs/batch", wrongType)).StatusCode);

        var viewer = app.ClientWithToken((await app.Data.CreateUserAsync()).Token);
        await (await viewer.PostAsync("/api/v1/blobs/batch", await TarAsync([]))).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
    }
}

public sealed class BlobBatchApiTests_Sqlite(SqliteApp app) : BlobBatchApiTests(app), IClassFixture<SqliteApp>;

public sealed class BlobBatchApiTests_Postgres(PostgresApp app) : BlobBatchApiTests(app), IClassFixture<PostgresApp>;

public sealed class BlobBatchApiTests_SqlServer(SqlServerApp app) : BlobBatchApiTests(app), IClassFixture<SqlServerApp>;
