using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Maintenance;
using Portal.Core.Storage;

namespace Portal.Web.Tests.Features.Artifacts;

/// <summary>
/// Large blobs in parts (<c>/api/v1/blobs/uploads</c>): any order, resume, every part and the whole verified, nothing
/// stored for bytes that are not the digest's, sessions that expire with their parts; on every store and database.
/// Parts are 5 MiB here (the smallest S3 takes), so a blob of two parts and a bit has three.
/// </summary>
public abstract class UploadSessionsApiTests(PortalApp app, Func<string?> storeUnavailable, bool direct = false)
{
    private const int PartBytes = 5 * 1024 * 1024;

    private static byte[] Blob() => RandomNumberGenerator.GetBytes((2 * PartBytes) + 12_345);

    private static string Sha(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static byte[] Part(byte[] blob, int number) => blob[((number - 1) * PartBytes)..Math.Min(blob.Length, number * PartBytes)];

    private void SkipIfUnavailable()
    {
        app.SkipIfUnavailable();
        var reason = storeUnavailable();
        Skip.If(reason is not null, reason);
    }

    private static Task<HttpResponseMessage> PutPartAsync(HttpClient client, Guid id, int number, byte[] bytes, string? sha256 = null)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var request = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/blobs/uploads/{id}/parts/{number}") { Content = content };
        if (sha256 is not "")
            request.Headers.Add(UploadSessionHeaders.PartSha256, sha256 ?? Sha(bytes));
        return client.SendAsync(request);
    }

    private static async Task<UploadSessionResponse> StartAsync(HttpClient client, byte[] blob, string? project, HttpStatusCode expected = HttpStatusCode.Created) =>
        await (await client.PostJsonAsync("/api/v1/blobs/uploads", new StartUploadSessionRequest(Sha(blob), blob.Length, project))).ReadOkAsync<UploadSessionResponse>(expected);

    private async Task<bool> StoredAsync(string digest) =>
        await app.Services.GetRequiredKeyedService<IBlobStore>(StorageServiceCollectionExtensions.ObjectStoreKey).ExistsAsync(digest);

    [SkippableFact]
    public async Task Parts_sent_in_any_order_and_at_once_become_the_blob_held_by_the_project()
    {
        SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var blob = Blob();

        var session = await StartAsync(client, blob, team.Slug);
        Assert.Equal((PartBytes, 3, false), (session.PartSize, session.PartCount, session.AlreadyStored));
        Assert.Empty(session.Parts);
        var answers = await Task.WhenAll(new[] { 3, 1, 2 }.Select(n => PutPartAsync(client, session.Id!.Value, n, Part(blob, n))));
        foreach (var answer in answers)
            await answer.ReadOkAsync<UploadPartResponse>();
        var stored = await (await client.PostAsync($"/api/v1/blobs/uploads/{session.Id}/complete", null)).ReadOkAsync<BlobPutResponse>(HttpStatusCode.Created);

        Assert.Equal(new BlobPutResponse(Sha(blob), blob.Length, false), stored);
        var store = app.Services.GetRequiredService<IBlobStore>();
        Assert.True(await store.VerifyAsync(Sha(blob)));
        await using (var read = await store.OpenReadAsync(Sha(blob), verify: true))
        {
            var copy = new MemoryStream();
            await read.CopyToAsync(copy);
            Assert.Equal(blob, copy.ToArray());
        }
        var missing = await (await client.PostJsonAsync("/api/v1/blobs/missing", new MissingBlobsRequest([Sha(blob)], team.Slug))).ReadOkAsync<MissingBlobsResponse>();
        Assert.Empty(missing.Missing);
        await (await client.GetAsync($"/api/v1/blobs/uploads/{session.Id}")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.UploadSessionNotFound);
        // Held now: a new session has nothing to send.
        var again = await StartAsync(client, blob, team.Slug, HttpStatusCode.OK);
        Assert.True(again.AlreadyStored);
        Assert.Null(again.Id);
    }

    [SkippableFact]
    public async Task An_interrupted_upload_resumes_with_the_parts_the_server_holds()
    {
        SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var blob = Blob();
        var session = await StartAsync(client, blob, team.Slug);
        (await PutPartAsync(client, session.Id!.Value, 2, Part(blob, 2))).EnsureSuccessStatusCode();

        // The same blob asked for again: the open session, with what it holds.
        var resumed = await StartAsync(client, blob, team.Slug, HttpStatusCode.OK);
        Assert.Equal(session.Id, resumed.Id);
        Assert.Equal([new UploadPartResponse(2, PartBytes, Sha(Part(blob, 2)))], resumed.Parts);
        var early = await (await client.PostAsync($"/api/v1/blobs/uploads/{session.Id}/complete", null)).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.PartsMissing);
        Assert.Equal([1, 3], early.GetProperty("missing").EnumerateArray().Select(e => e.GetInt32()));

        foreach (var n in new[] { 1, 3 })
            (await PutPartAsync(client, session.Id!.Value, n, Part(blob, n))).EnsureSuccessStatusCode();
        var state = await (await client.GetAsync($"/api/v1/blobs/uploads/{session.Id}")).ReadOkAsync<UploadSessionResponse>();
        Assert.Equal([1, 2, 3], state.Parts.Select(p => p.Number));
        (await client.PostAsync($"/api/v1/blobs/uploads/{session.Id}/complete", null)).EnsureSuccessStatusCode();
        Assert.True(await StoredAsync(Sha(blob)));
    }

    [SkippableFact]
    public async Task A_bad_part_is_refused_and_can_be_sent_again()
    {
        SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var blob = Blob();
        var id = (await StartAsync(client, blob, team.Slug)).Id!.Value;
        var good = Part(blob, 1);
        (await PutPartAsync(client, id, 1, good)).EnsureSuccessStatusCode();

        var flipped = (byte[])good.Clone();
        flipped[4321] ^= 1;
        var refused = await (await PutPartAsync(client, id, 1, flipped, Sha(good))).AssertProblemAsync((HttpStatusCode)422, ErrorCodes.PartDigestMismatch);
        Assert.Equal(Sha(flipped), refused.GetProperty("actual").GetString());
        await (await PutPartAsync(client, id, 1, good[..^1])).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.PartSizeMismatch);
        await (await PutPartAsync(client, id, 1, good, "")).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.PartDigestMissing);
        await (await PutPartAsync(client, id, 4, good)).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.PartNumberInvalid);
        await (await PutPartAsync(client, id, 0, good)).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.PartNumberInvalid);

        // Whatever was refused is not counted as received; sent again, the part is good.
        var state = await (await client.GetAsync($"/api/v1/blobs/uploads/{id}")).ReadOkAsync<UploadSessionResponse>();
        Assert.DoesNotContain(state.Parts, p => p.Number == 1 && p.Sha256 != Sha(good));
        foreach (var n in new[] { 1, 2, 3 })
            (await PutPartAsync(client, id, n, Part(blob, n))).EnsureSuccessStatusCode();
        (await client.PostAsync($"/api/v1/blobs/uploads/{id}/complete", null)).EnsureSuccessStatusCode();
        Assert.True(await app.Services.GetRequiredService<IBlobStore>().VerifyAsync(Sha(blob)));
    }

    [SkippableFact]
    public async Task Parts_that_are_not_the_digests_bytes_store_nothing_and_end_the_session()
    {
        SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var claimed = Blob();
        var sent = Blob();
        var id = (await StartAsync(client, claimed, team.Slug)).Id!.Value;
        foreach (var n in new[] { 1, 2, 3 })
            (await PutPartAsync(client, id, n, Part(sent, n))).EnsureSuccessStatusCode();

        var problem = await (await client.PostAsync($"/api/v1/blobs/uploads/{id}/complete", null)).AssertProblemAsync((HttpStatusCode)422, ErrorCodes.DigestMismatch);

        Assert.Equal(Sha(sent), problem.GetProperty("actual").GetString());
        Assert.False(await StoredAsync(Sha(claimed)));
        Assert.False(await StoredAsync(Sha(sent)));
        await (await client.GetAsync($"/api/v1/blobs/uploads/{id}")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.UploadSessionNotFound);
        Assert.Equal(0, await app.WithServicesAsync(async services =>
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await db.UploadSessions.CountAsync(s => s.Id == id);
        }));
    }

    [SkippableFact]
    public async Task Knowing_a_stored_digest_is_not_enough_the_parts_must_be_its_bytes()
    {
        SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var owner = app.ClientWithToken(team.Contributor.Token);
        var blob = Blob();
        var id = (await StartAsync(owner, blob, team.Slug)).Id!.Value;
        foreach (var n in new[] { 1, 2, 3 })
            (await PutPartAsync(owner, id, n, Part(blob, n))).EnsureSuccessStatusCode();
        (await owner.PostAsync($"/api/v1/blobs/uploads/{id}/complete", null)).EnsureSuccessStatusCode();

        var outsider = await app.Data.CreateUserAsync("parts-outsider");
        var own = await app.Data.CreateProjectAsync(outsider);
        var client = app.ClientWithToken(outsider.Token);
        // Not held by the outsider's project: a session opens although the store has the blob.
        var theirs = await StartAsync(client, blob, own.Slug);
        Assert.False(theirs.AlreadyStored);
        var fake = new byte[blob.Length];
        foreach (var n in new[] { 1, 2, 3 })
            (await PutPartAsync(client, theirs.Id!.Value, n, Part(fake, n))).EnsureSuccessStatusCode();
        await (await client.PostAsync($"/api/v1/blobs/uploads/{theirs.Id}/complete", null)).AssertProblemAsync((HttpStatusCode)422, ErrorCodes.DigestMismatch);
        var missing = await (await client.PostJsonAsync("/api/v1/blobs/missing", new MissingBlobsRequest([Sha(blob)], own.Slug))).ReadOkAsync<MissingBlobsResponse>();
        Assert.Equal([Sha(blob)], missing.Missing);

        // The real bytes prove possession; nothing new is stored.
        var real = await StartAsync(client, blob, own.Slug);
        foreach (var n in new[] { 1, 2, 3 })
            (await PutPartAsync(client, real.Id!.Value, n, Part(blob, n))).EnsureSuccessStatusCode();
        var done = await (await client.PostAsync($"/api/v1/blobs/uploads/{real.Id}/complete", null)).ReadOkAsync<BlobPutResponse>();
        Assert.True(done.AlreadyStored);
        missing = await (await client.PostJsonAsync("/api/v1/blobs/missing", new MissingBlobsRequest([Sha(blob)], own.Slug))).ReadOkAsync<MissingBlobsResponse>();
        Assert.Empty(missing.Missing);
    }

    [SkippableFact]
    public async Task A_session_is_its_owners_and_opening_one_needs_the_contributor_role()
    {
        SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var blob = Blob();
        var id = (await StartAsync(app.ClientWithToken(team.Contributor.Token), blob, team.Slug)).Id!.Value;

        var viewer = app.ClientWithToken(team.Viewer.Token);
        await (await viewer.GetAsync($"/api/v1/blobs/uploads/{id}")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.UploadSessionNotFound);
        await (await PutPartAsync(viewer, id, 1, Part(blob, 1))).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.UploadSessionNotFound);
        await (await viewer.PostAsync($"/api/v1/blobs/uploads/{id}/complete", null)).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.UploadSessionNotFound);
        await (await viewer.DeleteAsync($"/api/v1/blobs/uploads/{id}")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.UploadSessionNotFound);
        await (await viewer.PostJsonAsync("/api/v1/blobs/uploads", new StartUploadSessionRequest(Sha(blob), blob.Length, team.Slug))).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        await (await viewer.PostJsonAsync("/api/v1/blobs/uploads", new StartUploadSessionRequest("abc", 10, team.Slug))).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.DigestInvalid);
        await (await viewer.PostJsonAsync("/api/v1/blobs/uploads", new StartUploadSessionRequest(Sha(blob), 0, team.Slug))).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.SizeInvalid);
        await (await viewer.PostJsonAsync("/api/v1/blobs/uploads", new StartUploadSessionRequest(Sha(blob), long.MaxValue, team.Slug))).AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge, ErrorCodes.BlobTooLarge);
        await (await app.AnonymousClient().PostJsonAsync("/api/v1/blobs/uploads", new StartUploadSessionRequest(Sha(blob), blob.Length, team.Slug))).AssertProblemAsync(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);

        var owner = app.ClientWithToken(team.Contributor.Token);
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/api/v1/blobs/uploads/{id}")).StatusCode);
        await (await owner.GetAsync($"/api/v1/blobs/uploads/{id}")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.UploadSessionNotFound);
    }

    [SkippableFact]
    public async Task Sessions_no_part_arrived_for_expire_with_their_parts()
    {
        SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var blob = Blob();
        var id = (await StartAsync(client, blob, team.Slug)).Id!.Value;
        (await PutPartAsync(client, id, 1, Part(blob, 1))).EnsureSuccessStatusCode();
        var handle = await app.WithServicesAsync(async services =>
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            var session = await db.UploadSessions.SingleAsync(s => s.Id == id);
            session.ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1);
            await db.SaveChangesAsync();
            return session.StoreHandle;
        });
        var parts = (IPartUploadStore)app.Services.GetRequiredKeyedService<IBlobStore>(StorageServiceCollectionExtensions.ObjectStoreKey);
        var inPlace = parts.InPlaceFile(handle);

        var report = new MaintenanceReport();
        await app.WithServicesAsync(async services =>
        {
            await services.GetServices<IMaintenanceJob>().Single(j => j.Name == MaintenanceJobNames.PendingExpiry).ExecuteAsync(report, CancellationToken.None);
            return 0;
        });

        Assert.Contains("expiredUploadSessions", report.Details.Keys);
        await (await client.GetAsync($"/api/v1/blobs/uploads/{id}")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.UploadSessionNotFound);
        if (inPlace is not null)
            Assert.False(Directory.Exists(Path.GetDirectoryName(inPlace)));
        Assert.Equal(0, await app.WithServicesAsync(async services =>
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await db.UploadParts.CountAsync(p => p.SessionId == id);
        }));
    }

    [SkippableFact]
    public async Task The_client_sends_a_large_file_in_parts_and_after_an_interruption_only_what_is_missing()
    {
        SkipIfUnavailable();
        Skip.If(direct, "parts go straight to the object store here (see the direct test)");
        var team = await app.Data.CreateProjectWithTeamAsync();
        var blob = Blob();
        var path = Path.Combine(Path.GetTempPath(), "portal-parts-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllBytesAsync(path, blob);
        try
        {
            // The first attempt loses its connection after one part has gone through.
            var failing = new PartCountingHandler(failAfterParts: 1);
            using (var client = SdkClient(team.Contributor.Token, failing))
                await Assert.ThrowsAnyAsync<Exception>(() => client.PutBlobAsync(Sha(blob), path, project: team.Slug));
            Assert.Equal(1, failing.PartsSent);

            var counting = new PartCountingHandler(failAfterParts: int.MaxValue);
            using (var client = SdkClient(team.Contributor.Token, counting))
            {
                var result = await client.PutBlobAsync(Sha(blob), path, project: team.Slug);
                Assert.Equal(new BlobPutResponse(Sha(blob), blob.Length, false), result);
            }
            Assert.Equal(2, counting.PartsSent);
            Assert.Equal(blob.Length - failing.PartBytesSent, counting.PartBytesSent);
            Assert.True(await app.Services.GetRequiredService<IBlobStore>().VerifyAsync(Sha(blob)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [SkippableFact]
    public async Task Parts_go_straight_to_the_object_store_when_the_portal_hands_out_part_addresses()
    {
        SkipIfUnavailable();
        Skip.IfNot(direct, "this portal sends parts through itself");
        var team = await app.Data.CreateProjectWithTeamAsync();
        var blob = Blob();
        var path = Path.Combine(Path.GetTempPath(), "portal-direct-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllBytesAsync(path, blob);
        try
        {
            var session = await StartAsync(app.ClientWithToken(team.Contributor.Token), blob, team.Slug);
            Skip.If(session.PartUrls is null, "this S3 server cannot list a multipart upload's parts (s3rver lacks ListParts), so the portal takes the parts itself");
            Assert.Equal([1, 2, 3], session.PartUrls!.Select(p => p.Number));
            Assert.All(session.PartUrls!, p => Assert.NotEqual("localhost", p.Url.Host));

            var counting = new PartCountingHandler(int.MaxValue);
            using (var client = SdkClient(team.Contributor.Token, counting))
            {
                var result = await client.PutBlobAsync(Sha(blob), path, project: team.Slug);
                Assert.Equal(new BlobPutResponse(Sha(blob), blob.Length, false), result);
            }
            Assert.Equal(0, counting.PartsSent);
            Assert.True(await app.Services.GetRequiredService<IBlobStore>().VerifyAsync(Sha(blob)));

            // Parts sent straight to the store are checked as a whole: other bytes store nothing.
            var claimed = Blob();
            var other = await StartAsync(app.ClientWithToken(team.Contributor.Token), claimed, team.Slug);
            using var plain = new HttpClient();
            foreach (var part in other.PartUrls!)
            {
                var content = new ByteArrayContent(Part(blob, part.Number));
                using var request = new HttpRequestMessage(HttpMethod.Put, part.Url) { Content = content };
                request.Headers.TryAddWithoutValidation("x-ms-version", "2023-11-03");
                (await plain.SendAsync(request)).EnsureSuccessStatusCode();
            }
            var state = await (await app.ClientWithToken(team.Contributor.Token).GetAsync($"/api/v1/blobs/uploads/{other.Id}")).ReadOkAsync<UploadSessionResponse>();
            Assert.Equal([1, 2, 3], state.Parts.Select(p => p.Number));
            Assert.All(state.Parts, p => Assert.Null(p.Sha256));
            Assert.Empty(state.PartUrls ?? []);
            await (await app.ClientWithToken(team.Contributor.Token).PostAsync($"/api/v1/blobs/uploads/{other.Id}/complete", null))
                .AssertProblemAsync((HttpStatusCode)422, ErrorCodes.DigestMismatch);
            Assert.False(await StoredAsync(Sha(claimed)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [SkippableFact]
    public async Task A_large_download_goes_in_ranges_and_after_an_interruption_fetches_only_the_rest()
    {
        SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var blob = Blob();
        var entry = new ManifestEntryModel("model/weights.bin", Sha(blob), blob.Length);
        var committed = await new ArtifactUploads(app.ClientWithToken(team.Contributor.Token), team.Slug).PublishAsync("weights", [(entry, blob)]);
        var folder = Directory.CreateTempSubdirectory("portal-ranges-").FullName;
        var target = Path.Combine(folder, "weights.bin");
        try
        {
            var failing = new RangeCountingHandler(failAfterRanges: 2);
            using (var client = SdkClient(team.Viewer.Token, failing))
                await Assert.ThrowsAnyAsync<Exception>(() => client.DownloadVersionFileToPathAsync(team.Slug, committed.Version.Id, entry.Path, target, entry.Digest, entry.Size));
            Assert.False(File.Exists(target));

            var counting = new RangeCountingHandler(failAfterRanges: int.MaxValue);
            using (var client = SdkClient(team.Viewer.Token, counting))
            {
                var fetched = await client.DownloadVersionFileToPathAsync(team.Slug, committed.Version.Id, entry.Path, target, entry.Digest, entry.Size);
                Assert.Equal(blob.Length - (2 * RangeBytes), fetched);
            }
            Assert.Equal(4, counting.Ranges); // 5 ranges of 2 MiB and one of the rest; 2 arrived before the interruption
            Assert.Equal(blob, await File.ReadAllBytesAsync(target));
            Assert.Equal(["weights.bin"], Directory.GetFiles(folder).Select(Path.GetFileName));

            // A partial file whose bytes went bad is not trusted: the whole is hashed before it takes the name.
            File.Delete(target);
            using (var client = SdkClient(team.Viewer.Token, new RangeCountingHandler(failAfterRanges: 2)))
                await Assert.ThrowsAnyAsync<Exception>(() => client.DownloadVersionFileToPathAsync(team.Slug, committed.Version.Id, entry.Path, target, entry.Digest, entry.Size));
            var partial = Directory.GetFiles(folder, ".portal-*.partial").Single();
            await using (var file = new FileStream(partial, FileMode.Open, FileAccess.Write))
            {
                file.Position = 10;
                file.WriteByte(0xFF);
            }
            using (var client = SdkClient(team.Viewer.Token, new RangeCountingHandler(int.MaxValue)))
            {
                var problem = await Assert.ThrowsAsync<PortalApiException>(() => client.DownloadVersionFileToPathAsync(team.Slug, committed.Version.Id, entry.Path, target, entry.Digest, entry.Size));
                Assert.Equal(ErrorCodes.DigestMismatch, problem.Code);
            }
            Assert.Empty(Directory.GetFiles(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private const int RangeBytes = 2 * 1024 * 1024;

    private PortalClient SdkClient(string token, DelegatingHandler handler)
    {
        var http = app.CreateDefaultClient(new Uri("http://localhost/"), handler);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new PortalClient(http) { PartUploadThreshold = PartBytes, PartParallelism = 1, DownloadRangeBytes = RangeBytes, DownloadParallelism = 1, MaxRetries = 0 };
    }

    /// <summary>Counts range requests; after <c>failAfterRanges</c> it drops the rest.</summary>
    private sealed class RangeCountingHandler(int failAfterRanges) : DelegatingHandler
    {
        public int Ranges { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Headers.Range is not null)
            {
                if (Ranges >= failAfterRanges)
                    throw new HttpRequestException("connection lost (test)");
                Ranges++;
            }
            return await base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>Counts the parts (and their bytes) that reach the portal; after <c>failAfterParts</c> it drops the rest.</summary>
    private sealed class PartCountingHandler(int failAfterParts) : DelegatingHandler
    {
        public int PartsSent { get; private set; }

        public long PartBytesSent { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method == HttpMethod.Put && request.RequestUri!.AbsolutePath.Contains("/parts/", StringComparison.Ordinal))
            {
                if (PartsSent >= failAfterParts)
                    throw new HttpRequestException("connection lost (test)");
                PartsSent++;
                PartBytesSent += request.Content!.Headers.ContentLength ?? 0;
            }
            return await base.SendAsync(request, cancellationToken);
        }
    }
}

/// <summary>The portal with upload parts of 5 MiB on the file-system store.</summary>
public sealed class PartsSqliteApp() : PortalApp(DatabaseProvider.Sqlite)
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Storage:UploadPartBytes"] = "5242880" };
}

public sealed class PartsPostgresApp() : PortalApp(DatabaseProvider.Postgres)
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Storage:UploadPartBytes"] = "5242880" };
}

/// <summary>The portal with upload parts of 5 MiB on S3 (s3rver) or Azure Blob (Azurite).</summary>
public abstract class PartsCloudApp(DatabaseProvider database, BlobStoreProvider store) : CloudBlobStoreApp(database, store)
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings) { ["Storage:UploadPartBytes"] = "5242880" };
}

public sealed class PartsS3SqliteApp() : PartsCloudApp(DatabaseProvider.Sqlite, BlobStoreProvider.S3);

/// <summary>Parts sent straight to the store (<c>Storage:DirectPartUploads</c>).</summary>
public abstract class DirectPartsCloudApp(DatabaseProvider database, BlobStoreProvider store) : PartsCloudApp(database, store)
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings) { ["Storage:DirectPartUploads"] = "true" };
}

public sealed class DirectPartsS3PostgresApp() : DirectPartsCloudApp(DatabaseProvider.Postgres, BlobStoreProvider.S3);

public sealed class DirectPartsAzureSqliteApp() : DirectPartsCloudApp(DatabaseProvider.Sqlite, BlobStoreProvider.AzureBlob);

public sealed class PartsAzurePostgresApp() : PartsCloudApp(DatabaseProvider.Postgres, BlobStoreProvider.AzureBlob);

public sealed class UploadSessionsApiTests_Sqlite(PartsSqliteApp app) : UploadSessionsApiTests(app, () => null), IClassFixture<PartsSqliteApp>;

public sealed class UploadSessionsApiTests_Postgres(PartsPostgresApp app) : UploadSessionsApiTests(app, () => null), IClassFixture<PartsPostgresApp>;

public sealed class UploadSessionsApiTests_S3_Sqlite(PartsS3SqliteApp app) : UploadSessionsApiTests(app, () => app.StoreUnavailableReason), IClassFixture<PartsS3SqliteApp>;

public sealed class UploadSessionsApiTests_Azure_Postgres(PartsAzurePostgresApp app) : UploadSessionsApiTests(app, () => app.StoreUnavailableReason), IClassFixture<PartsAzurePostgresApp>;

public sealed class UploadSessionsApiTests_S3_Direct(DirectPartsS3PostgresApp app) : UploadSessionsApiTests(app, () => app.StoreUnavailableReason, direct: true), IClassFixture<DirectPartsS3PostgresApp>;

public sealed class UploadSessionsApiTests_Azure_Direct(DirectPartsAzureSqliteApp app) : UploadSessionsApiTests(app, () => app.StoreUnavailableReason, direct: true), IClassFixture<DirectPartsAzureSqliteApp>;
