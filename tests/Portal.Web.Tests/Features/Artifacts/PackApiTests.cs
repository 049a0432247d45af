using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Artifacts.Packs;
using Portal.Core.Features.Maintenance;

namespace Portal.Web.Tests.Features.Artifacts;

/// <summary>
/// Small blobs of batch uploads live in packs: written once per batch, read back verified through every path (file
/// download, batch download, scrub), left out when already held, and rewritten by garbage collection when mostly dead.
/// </summary>
public abstract class PackApiTests(PortalApp app)
{
    private async Task<T> DbAsync<T>(Func<PortalDbContext, Task<T>> query)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<PortalDbContext>());
    }

    private static List<(ManifestEntryModel Entry, byte[] Bytes)> SmallFiles(int count, string folder) =>
        Enumerable.Range(0, count).Select(i => ArtifactUploads.File($"{folder}/chunk-{i:D4}.txt", $"{folder} chunk {i} {Guid.NewGuid()} " + new string('x', i % 700))).ToList();

    private static async Task UploadBatchAsync(HttpClient client, string slug, IEnumerable<(ManifestEntryModel Entry, byte[] Bytes)> files) =>
        (await client.PostAsync($"/api/v1/blobs/batch?project={slug}", await BlobBatchApiTests.TarAsync(files.Select(f => (f.Entry.Digest, f.Bytes)))))
            .EnsureSuccessStatusCode();

    [SkippableFact]
    public async Task A_batch_of_small_blobs_becomes_one_pack_that_explains_itself_and_reads_back_verified()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var files = SmallFiles(300, "docs");
        await UploadBatchAsync(client, team.Slug, files);

        var digests = files.Select(f => f.Entry.Digest).ToList();
        var rows = await DbAsync(db => db.StoredBlobs.AsNoTracking().Where(b => digests.Contains(b.Digest)).ToListAsync());
        Assert.Equal(300, rows.Count);
        var packDigest = Assert.Single(rows.Select(r => r.PackDigest).Distinct());
        Assert.NotNull(packDigest);
        var pack = await DbAsync(db => db.BlobPacks.AsNoTracking().SingleAsync(p => p.Digest == packDigest));
        Assert.Equal(300, pack.BlobCount);

        // The object is named by its bytes, and its trailer indexes exactly what the database says.
        var bytes = await File.ReadAllBytesAsync(app.FileStore.GetBlobPath(packDigest!));
        Assert.Equal(packDigest, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        Assert.Equal(pack.Size, bytes.Length);
        var index = PackFormat.ReadIndex(bytes);
        Assert.Equal(rows.Select(r => (r.Digest, r.PackOffset!.Value, r.Size)).Order(), index.Select(b => (b.Digest, b.Offset, b.Size)).Order());
        Assert.False(File.Exists(app.FileStore.GetBlobPath(digests[0])));

        var uploads = new ArtifactUploads(client, team.Slug);
        var created = await (await uploads.CreateAsync("docs", files.Select(f => f.Entry))).ReadOkAsync<CreateVersionResponse>(HttpStatusCode.Created);
        Assert.Empty(created.MissingDigests);
        var committed = await (await uploads.CommitAsync("docs", created.VersionId!.Value)).ReadOkAsync<CommitVersionResponse>();
        var viewer = app.ClientWithToken(team.Viewer.Token);
        foreach (var file in files.Where((_, i) => i % 37 == 0))
        {
            var download = await viewer.GetAsync($"/api/v1/projects/{team.Slug}/versions/{committed.Version!.Id}/file?path={Uri.EscapeDataString(file.Entry.Path)}");
            Assert.Equal(file.Bytes, await download.Content.ReadAsByteArrayAsync());
        }
        using var range = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/projects/{team.Slug}/versions/{committed.Version!.Id}/file?path={Uri.EscapeDataString(files[299].Entry.Path)}");
        range.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(3, 9);
        var partial = await viewer.SendAsync(range);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(files[299].Bytes[3..10], await partial.Content.ReadAsByteArrayAsync());
    }

    [SkippableFact]
    public async Task Blobs_already_held_are_not_packed_again_and_a_repeat_within_a_batch_is_stored_once()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var first = SmallFiles(50, "a");
        await UploadBatchAsync(client, team.Slug, first);
        var second = SmallFiles(20, "b");
        await UploadBatchAsync(client, team.Slug, [.. first.Take(30), .. second, second[0]]);

        var digests = second.Select(f => f.Entry.Digest).ToList();
        var packOfSecond = await DbAsync(db => db.StoredBlobs.Where(b => digests.Contains(b.Digest)).Select(b => b.PackDigest).Distinct().SingleAsync());
        var pack = await DbAsync(db => db.BlobPacks.AsNoTracking().SingleAsync(p => p.Digest == packOfSecond));
        Assert.Equal(20, pack.BlobCount);
        Assert.Equal(20, PackFormat.ReadIndex(await File.ReadAllBytesAsync(app.FileStore.GetBlobPath(pack.Digest))).Count);
    }

    [SkippableFact]
    public async Task A_batch_download_sends_every_held_blob_verified_and_names_the_ones_it_cannot_send()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var files = SmallFiles(120, "corpus");
        await UploadBatchAsync(client, team.Slug, files);
        var bigBytes = RandomNumberGenerator.GetBytes(5 * 1024 * 1024);
        (await client.PutAsync($"/api/v1/blobs/sha256/{BlobsApiTests.DigestOf(bigBytes)}?project={team.Slug}", BlobsApiTests.Octets(bigBytes))).EnsureSuccessStatusCode();
        // Held by another project only: not found here, whatever the store holds.
        var stranger = await app.Data.CreateProjectWithTeamAsync();
        var theirs = SmallFiles(1, "theirs")[0];
        await UploadBatchAsync(app.ClientWithToken(stranger.Contributor.Token), stranger.Slug, [theirs]);
        var corrupt = files[7];
        await app.CorruptBlobAsync(corrupt.Entry.Digest);

        using var sdk = new PortalClient(app.ClientWithToken(team.Viewer.Token));
        var received = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var wanted = files.Select(f => f.Entry.Digest).Append(BlobsApiTests.DigestOf(bigBytes)).Append(theirs.Entry.Digest).ToList();
        var errors = await sdk.DownloadBlobBatchAsync(team.Slug, wanted, async (digest, data, ct) =>
        {
            using var copy = new MemoryStream();
            await data.CopyToAsync(copy, ct);
            received[digest] = copy.ToArray();
        });

        Assert.Equal(ErrorCodes.DigestMismatch, errors[corrupt.Entry.Digest].Code);
        Assert.Equal(ErrorCodes.BlobNotFound, errors[theirs.Entry.Digest].Code);
        Assert.True(errors.Count == 2, string.Join("; ", errors.Select(e => $"{e.Key[..8]} {e.Value.Code} {e.Value.Message}")));
        Assert.Equal(120, received.Count);
        foreach (var file in files.Where(f => f != corrupt))
            Assert.Equal(file.Bytes, received[file.Entry.Digest]);
        Assert.Equal(bigBytes, received[BlobsApiTests.DigestOf(bigBytes)]);

        await (await app.AnonymousClient().PostJsonAsync($"/api/v1/projects/{team.Slug}/blobs/download", new BlobBatchDownloadRequest(wanted)))
            .AssertProblemAsync(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
        await (await app.ClientWithToken(stranger.Viewer.Token).PostJsonAsync($"/api/v1/projects/{team.Slug}/blobs/download", new BlobBatchDownloadRequest(wanted)))
            .AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ProjectNotFound);
        await (await client.PostJsonAsync($"/api/v1/projects/{team.Slug}/blobs/download", new BlobBatchDownloadRequest(["nope"])))
            .AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.DigestInvalid);
    }

    [SkippableFact]
    public async Task The_scrub_finds_a_corrupt_blob_inside_a_pack()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var files = SmallFiles(10, "scrub");
        await UploadBatchAsync(app.ClientWithToken(team.Contributor.Token), team.Slug, files);
        await app.CorruptBlobAsync(files[3].Entry.Digest);
        var store = app.Services.GetRequiredService<Portal.Core.Storage.IBlobStore>();

        Assert.False(await store.VerifyAsync(files[3].Entry.Digest));
        Assert.True(await store.VerifyAsync(files[4].Entry.Digest));
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var scrub = scope.ServiceProvider.GetServices<IMaintenanceJob>().Single(j => j.Name == MaintenanceJobNames.IntegrityScrub);
            await scrub.ExecuteAsync(new MaintenanceReport(), CancellationToken.None);
        }
        var digests = files.Select(f => f.Entry.Digest).ToList();
        var corrupt = await DbAsync(db => db.StoredBlobs.Where(b => digests.Contains(b.Digest) && b.Corrupt).Select(b => b.Digest).ToListAsync());
        Assert.Equal([files[3].Entry.Digest], corrupt);
    }

    [SkippableFact]
    public async Task Garbage_collection_rewrites_a_mostly_dead_pack_and_deletes_it_after_the_retire_delay()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var files = SmallFiles(100, "gc");
        await UploadBatchAsync(app.ClientWithToken(team.Contributor.Token), team.Slug, files);
        var digests = files.Select(f => f.Entry.Digest).ToList();
        var oldPack = await DbAsync(db => db.StoredBlobs.Where(b => b.Digest == digests[0]).Select(b => b.PackDigest!).SingleAsync());
        // 70 of them were collected (their rows deleted, as garbage collection does); one of the survivors rotted.
        var dead = digests.Take(70).ToList();
        await DbAsync(db => db.StoredBlobs.Where(b => dead.Contains(b.Digest)).ExecuteDeleteAsync());
        await app.CorruptBlobAsync(digests[99]);

        PackCompactionResult first, second;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var compaction = scope.ServiceProvider.GetRequiredService<PackCompaction>();
            first = await compaction.RunAsync(0.5, TimeSpan.FromHours(1), long.MaxValue, CancellationToken.None);
            // Within the retire delay the old object stays for reads that had just looked it up.
            Assert.True(File.Exists(app.FileStore.GetBlobPath(oldPack)));
            second = await compaction.RunAsync(0.5, TimeSpan.Zero, long.MaxValue, CancellationToken.None);
        }

        // Other tests' packs share this portal; this one's effects are checked on its own rows below.
        Assert.True(first.PacksRewritten >= 1 && first.BlobsMoved >= 29 && first.BlobsFoundCorrupt >= 1, $"{first}");
        Assert.True(second.PacksDeleted >= 1, $"{second}");
        var newPacks = await DbAsync(db => db.StoredBlobs.Where(b => digests.Contains(b.Digest) && b.PackDigest != null).Select(b => b.PackDigest).Distinct().ToListAsync());
        var newPack = Assert.Single(newPacks);
        Assert.NotEqual(oldPack, newPack);
        Assert.False(File.Exists(app.FileStore.GetBlobPath(oldPack)));
        Assert.False(await DbAsync(db => db.BlobPacks.AnyAsync(p => p.Digest == oldPack)));
        var survivors = await DbAsync(db => db.StoredBlobs.AsNoTracking().Where(b => digests.Contains(b.Digest)).ToListAsync());
        Assert.Equal(30, survivors.Count);
        Assert.True(survivors.Single(b => b.Digest == digests[99]).Corrupt);
        var store = app.Services.GetRequiredService<Portal.Core.Storage.IBlobStore>();
        foreach (var file in files.Skip(70).Take(29))
        {
            await using var read = await store.OpenReadAsync(file.Entry.Digest, verify: true);
            using var copy = new MemoryStream();
            await read.CopyToAsync(copy);
            Assert.Equal(file.Bytes, copy.ToArray());
        }
    }
}

public sealed class PackApiTests_Sqlite(SqliteApp app) : PackApiTests(app), IClassFixture<SqliteApp>;

public sealed class PackApiTests_Postgres(PostgresApp app) : PackApiTests(app), IClassFixture<PostgresApp>;

public sealed class PackApiTests_SqlServer(SqlServerApp app) : PackApiTests(app), IClassFixture<SqlServerApp>;
