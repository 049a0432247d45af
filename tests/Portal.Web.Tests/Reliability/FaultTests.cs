using System.Security.Cryptography;
using Portal.Core.Data;

namespace Portal.Web.Tests.Reliability;

/// <summary>
/// Faults a server meets in production: its process killed (SIGKILL) in the middle of an upload and of commits, and
/// its database connections cut in the middle of commits. Afterwards no partial version is visible, version numbers
/// have no gaps, <c>latest</c> and its history agree, and the client's retry completes.
/// </summary>
[Trait("Category", "Faults")]
public abstract class FaultTests(DatabaseProvider provider)
{
    private static void SkipUnlessRunnable(DatabaseProvider provider)
    {
        var reason = TestDatabase.UnavailableReason(provider);
        Skip.If(reason is not null, reason);
        Skip.If(PortalServerProcess.ServerDll is null, "The server's build output (src/Portal.Web/bin) is missing; build the solution first.");
    }

    private static PortalClient Client(PortalServerProcess server) =>
        // Enough patience to ride out a restart (about 2 + 4 + 8 + 16 + 32 s of back-off).
        new(server.BaseAddress, PortalApp.AdminToken) { MaxRetries = 7, RetryDelay = TimeSpan.FromSeconds(1) };

    [SkippableFact]
    public async Task A_server_killed_mid_upload_stores_no_partial_blob_and_the_clients_retry_completes_after_restart()
    {
        SkipUnlessRunnable(provider);
        await using var database = await TestDatabase.CreateAsync(provider);
        using var storage = new TemporaryFolder();
        await using var server = new PortalServerProcess(database.ConnectionString, provider.ToString(), storage.Path);
        await server.StartAsync();
        using var client = Client(server);
        var slug = TestData.UniqueSlug("faults");
        await client.CreateProjectAsync(new CreateProjectRequest(slug, "Faults"));

        var file = Path.Combine(storage.Path, "upload.bin");
        var bytes = RandomNumberGenerator.GetBytes(48 << 20);
        await File.WriteAllBytesAsync(file, bytes);
        var digest = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var created = await client.CreateVersionAsync(slug, "corpus", new CreateVersionRequest("dataset", Entries: [new ManifestEntryModel("big.bin", digest, bytes.Length)]));
        Assert.Equal(CreateVersionStatus.Pending, created.Status);
        Assert.Contains(digest, created.MissingDigests);

        // The first attempt streams slowly after 8 MiB and the server is killed under it; later attempts stream freely.
        var halfway = new TaskCompletionSource();
        var attempts = 0;
        var upload = client.PutBlobAsync(digest, () => Interlocked.Increment(ref attempts) == 1
            ? new SlowAfter(File.OpenRead(file), 8 << 20, halfway)
            : File.OpenRead(file));
        await halfway.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await server.KillAsync();

        // Half an upload may leave a temp file (removed by the store's clean-up), never a file named by the digest.
        Assert.Empty(Directory.EnumerateFiles(storage.Path, digest, SearchOption.AllDirectories));

        await server.StartAsync();
        var stored = await upload;
        Assert.Equal(digest, stored.Digest);
        Assert.True(attempts >= 2, "the blob was not sent again after the restart");
        Assert.Empty((await client.ListVersionsAsync(slug, "corpus")).Items);

        var committed = await client.CommitVersionAsync(slug, "corpus", created.VersionId!.Value);
        Assert.Equal(CreateVersionStatus.Committed, committed.Status);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", PortalApp.AdminToken);
        var downloaded = await http.GetByteArrayAsync($"/api/v1/projects/{slug}/versions/{committed.Version.Id}/file?path=big.bin");
        Assert.Equal(digest, Convert.ToHexStringLower(SHA256.HashData(downloaded)));
    }

    private static async Task<byte[]> TarOfAsync(IEnumerable<(string Digest, byte[] Bytes)> blobs)
    {
        using var buffer = new MemoryStream();
        await using (var writer = new System.Formats.Tar.TarWriter(buffer, System.Formats.Tar.TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var (digest, bytes) in blobs)
                await writer.WriteEntryAsync(new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.RegularFile, digest) { DataStream = new MemoryStream(bytes) });
        }
        return buffer.ToArray();
    }

    [SkippableFact]
    public async Task A_server_killed_while_writing_a_pack_loses_nothing_committed_and_records_nothing_of_the_pack()
    {
        SkipUnlessRunnable(provider);
        await using var database = await TestDatabase.CreateAsync(provider);
        using var storage = new TemporaryFolder();
        await using var server = new PortalServerProcess(database.ConnectionString, provider.ToString(), storage.Path);
        await server.StartAsync();
        using var client = Client(server);
        var slug = TestData.UniqueSlug("packs");
        await client.CreateProjectAsync(new CreateProjectRequest(slug, "Packs"));
        static List<(string Path, string Digest, byte[] Bytes)> Files(string folder, int count) =>
            Enumerable.Range(0, count).Select(i => RandomNumberGenerator.GetBytes(1000 + i % 3000)).Select((b, i) => ($"{folder}/{i:D5}.bin", Convert.ToHexStringLower(SHA256.HashData(b)), b)).ToList();

        // A committed version whose blobs live in a pack.
        var committedFiles = Files("kept", 500);
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", PortalApp.AdminToken);
        var batch = new ByteArrayContent(await TarOfAsync(committedFiles.Select(f => (f.Digest, f.Bytes))));
        batch.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-tar");
        (await http.PostAsync($"api/v1/blobs/batch?project={slug}", batch)).EnsureSuccessStatusCode();
        var created = await client.CreateVersionAsync(slug, "corpus", new CreateVersionRequest("dataset", Entries: committedFiles.Select(f => new ManifestEntryModel(f.Path, f.Digest, f.Bytes.Length)).ToList()));
        Assert.Empty(created.MissingDigests);
        var v0 = await client.CommitVersionAsync(slug, "corpus", created.VersionId!.Value);

        // A second batch streams slowly after 6 MB, so the server is killed with a pack half written.
        var lostFiles = Files("lost", 6000);
        var halfway = new TaskCompletionSource();
        var slow = new StreamContent(new SlowAfter(new MemoryStream(await TarOfAsync(lostFiles.Select(f => (f.Digest, f.Bytes)))), 6_000_000, halfway));
        slow.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-tar");
        var upload = http.PostAsync($"api/v1/blobs/batch?project={slug}", slow);
        await halfway.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await Task.Delay(500);
        await server.KillAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => upload);
        await server.StartAsync();

        // Nothing of the half-written pack counts as stored: a version of those files still needs all of them.
        var retry = await client.CreateVersionAsync(slug, "lost", new CreateVersionRequest("dataset", Entries: lostFiles.Select(f => new ManifestEntryModel(f.Path, f.Digest, f.Bytes.Length)).ToList()));
        Assert.Equal(lostFiles.Count, retry.MissingDigests.Count);
        // Everything committed reads back intact.
        foreach (var file in committedFiles.Where((_, i) => i % 25 == 0))
        {
            var bytes = await http.GetByteArrayAsync($"api/v1/projects/{slug}/versions/{v0.Version.Id}/file?path={Uri.EscapeDataString(file.Path)}");
            Assert.Equal(file.Bytes, bytes);
        }
        // The half-written pack is a stale temp file of the store, which its clean-up removes.
        var store = new Portal.Core.Storage.FileSystemBlobStore(storage.Path);
        Assert.True(await store.CleanupTempFilesAsync(TimeSpan.Zero) >= 1);
    }

    [SkippableFact]
    public async Task A_server_killed_during_commits_leaves_whole_versions_or_pending_ones_and_retried_commits_complete()
    {
        SkipUnlessRunnable(provider);
        await using var database = await TestDatabase.CreateAsync(provider);
        using var storage = new TemporaryFolder();
        await using var server = new PortalServerProcess(database.ConnectionString, provider.ToString(), storage.Path);
        await server.StartAsync();
        var slug = TestData.UniqueSlug("faults");
        using (var setup = Client(server))
            await setup.CreateProjectAsync(new CreateProjectRequest(slug, "Faults"));

        var pending = new List<Guid>();
        foreach (var delay in new[] { 0, 3, 10, 25, 60 })
        {
            using var client = Client(server);
            // Many entries make the commit's transaction long enough to be cut; references need no upload.
            var entries = Enumerable.Range(0, 20_000)
                .Select(i => new ManifestEntryModel($"docs/{delay}/{i:D5}.md", Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(delay * 100_000 + i))), 100, $"s3://bucket/{delay}/{i}"))
                .ToList();
            var created = await client.CreateVersionAsync(slug, "corpus", new CreateVersionRequest("dataset", Entries: entries));
            pending.Add(created.VersionId!.Value);

            using var raw = new HttpClient { BaseAddress = server.BaseAddress };
            raw.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", PortalApp.AdminToken);
            var commit = raw.PostAsync($"/api/v1/projects/{slug}/artifacts/corpus/versions/{created.VersionId}/commit", null);
            await Task.Delay(delay);
            await server.KillAsync();
            try
            {
                await commit;
            }
            catch (HttpRequestException)
            {
                // The answer died with the server; whether the commit happened is for the checks below to find out.
            }

            await server.StartAsync();
            await AssertWholeVersionsAsync(client, slug);
            // The client's retry: commits if it had not, answers the committed version if it had.
            var retried = await client.CommitVersionAsync(slug, "corpus", created.VersionId!.Value);
            Assert.Equal(CreateVersionStatus.Committed, retried.Status);
        }

        using var final = Client(server);
        var versions = await AssertWholeVersionsAsync(final, slug);
        Assert.Equal(pending.Order(), versions.Select(v => v.Id).Order());
    }

    /// <summary>
    /// What a reader sees is consistent: committed versions numbered without gaps, <c>latest</c> on the newest, and one
    /// <c>latest</c> move per committed version in its history.
    /// </summary>
    internal static async Task<List<ArtifactVersionResponse>> AssertWholeVersionsAsync(PortalClient client, string slug)
    {
        var versions = (await client.ListVersionsAsync(slug, "corpus", limit: 1000)).Items.ToList();
        if (versions.Count == 0)
            return versions;
        var numbers = versions.Select(v => int.Parse(v.Version.TrimStart('v'), System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
        Assert.Equal(Enumerable.Range(numbers[0], numbers.Count), numbers);
        var newest = versions.MaxBy(v => int.Parse(v.Version.TrimStart('v'), System.Globalization.CultureInfo.InvariantCulture))!;
        Assert.Contains("latest", newest.Aliases);
        var history = await client.GetAliasHistoryAsync(slug, "corpus", "latest");
        Assert.Equal(versions.Count, history.Count);
        Assert.All(versions, v => Assert.Equal(20_000, v.FileCount));
        return versions;
    }

    /// <summary>A folder under the system temp folder, removed with everything in it.</summary>
    private sealed class TemporaryFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("portal-faults-").FullName;

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
                // Best effort.
            }
        }
    }

    /// <summary>Reads freely up to a point, then signals and slows to a crawl so the server can be killed mid-stream.</summary>
    private sealed class SlowAfter(Stream inner, long threshold, TaskCompletionSource reached) : Stream
    {
        private long _read;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_read >= threshold)
            {
                reached.TrySetResult();
                await Task.Delay(100, cancellationToken);
                buffer = buffer[..Math.Min(buffer.Length, 64 << 10)];
            }
            var n = await inner.ReadAsync(buffer, cancellationToken);
            _read += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }
    }
}

public sealed class FaultTests_Sqlite() : FaultTests(DatabaseProvider.Sqlite);

public sealed class FaultTests_Postgres() : FaultTests(DatabaseProvider.Postgres);
