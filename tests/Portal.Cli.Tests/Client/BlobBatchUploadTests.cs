using System.Formats.Tar;
using System.Net;
using System.Security.Cryptography;

namespace Portal.Cli.Tests.Client;

/// <summary>
/// The SDK's batch upload: a tar stream whose length is declared up front when the sizes are known, and a file whose
/// length changed since it was hashed is refused on the client (and never retried).
/// </summary>
[Collection(CliCollection.Name)]
public sealed class BlobBatchUploadTests(CliApp app) : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("portal-batch-tests-");

    public void Dispose() => _folder.Delete(recursive: true);

    private BlobFile File(string name, byte[] bytes, long? size = null)
    {
        var path = Path.Combine(_folder.FullName, name);
        System.IO.File.WriteAllBytes(path, bytes);
        return new BlobFile(Convert.ToHexStringLower(SHA256.HashData(bytes)), path, size ?? bytes.Length);
    }

    /// <summary>Records the declared length and the body, and answers as the portal would.</summary>
    private sealed class CapturingHandler : HttpMessageHandler
    {
        public int Requests { get; private set; }
        public long? DeclaredLength { get; private set; }
        public byte[] Body { get; private set; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests++;
            DeclaredLength = request.Content!.Headers.ContentLength;
            Body = await request.Content.ReadAsByteArrayAsync(cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("[]", System.Text.Encoding.UTF8, "application/json") };
        }
    }

    [Fact]
    public async Task The_batch_declares_the_exact_length_of_the_tar_it_sends()
    {
        var files = new[] { File("empty.bin", []), File("one.bin", [42]), File("block.bin", RandomNumberGenerator.GetBytes(512)), File("odd.bin", RandomNumberGenerator.GetBytes(70_001)) };
        var handler = new CapturingHandler();
        using var client = new PortalClient(new Uri("http://portal.test"), "ptl_token", handler);

        await client.PutBlobBatchAsync(files);

        Assert.Equal(handler.Body.Length, handler.DeclaredLength);
        using var reader = new TarReader(new MemoryStream(handler.Body));
        foreach (var file in files)
        {
            var entry = await reader.GetNextEntryAsync(copyData: true);
            Assert.NotNull(entry);
            Assert.Equal(file.Digest, entry.Name);
            using var copy = new MemoryStream();
            if (entry.DataStream is not null)
                await entry.DataStream.CopyToAsync(copy);
            Assert.Equal(System.IO.File.ReadAllBytes(file.Path), copy.ToArray());
        }
        Assert.Null(await reader.GetNextEntryAsync());
    }

    [Fact]
    public async Task Without_sizes_the_batch_is_sent_chunked_as_before()
    {
        var known = File("a.bin", [1, 2, 3]);
        var handler = new CapturingHandler();
        using var client = new PortalClient(new Uri("http://portal.test"), "ptl_token", handler);

        await client.PutBlobBatchAsync([known with { Size = null }]);

        Assert.Null(handler.DeclaredLength);
        using var reader = new TarReader(new MemoryStream(handler.Body));
        Assert.Equal(known.Digest, (await reader.GetNextEntryAsync())?.Name);
    }

    [Fact]
    public async Task A_file_whose_length_changed_since_hashing_is_refused_once_not_retried()
    {
        var changed = File("grew.bin", RandomNumberGenerator.GetBytes(2_000), size: 1_000);
        var handler = new CapturingHandler();
        using var client = new PortalClient(new Uri("http://portal.test"), "ptl_token", handler) { RetryDelay = TimeSpan.FromMilliseconds(1) };

        var error = await Assert.ThrowsAsync<BlobFileChangedException>(() => client.PutBlobBatchAsync([changed]));

        Assert.Equal(1, handler.Requests);
        Assert.Equal((changed.Path, 1_000L, 2_000L), (error.Path, error.ExpectedSize, error.ActualSize));
        Assert.Contains("changed after it was hashed", error.Message);
    }

    [Fact]
    public async Task Against_the_portal_a_sized_batch_is_stored_and_a_changed_file_stores_nothing()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var client = app.Sdk(team.Contributor.Token);
        var good = new[] { File("g1.bin", RandomNumberGenerator.GetBytes(100_000)), File("g2.bin", RandomNumberGenerator.GetBytes(1_234)) };

        var stored = await client.PutBlobBatchAsync(good);

        Assert.Equal(good.Select(f => (f.Digest, System.IO.File.ReadAllBytes(f.Path).LongLength)), stored.Select(s => (s.Digest, s.Size)));
        Assert.Empty(await client.FindMissingBlobsAsync(good.Select(f => f.Digest)));

        // Hashed at 3,000 bytes, truncated before the upload: the real connection wraps the failure, the SDK unwraps it.
        var bytes = RandomNumberGenerator.GetBytes(3_000);
        var shrunk = File("shrunk.bin", bytes);
        System.IO.File.WriteAllBytes(shrunk.Path, bytes[..100]);

        var error = await Assert.ThrowsAsync<BlobFileChangedException>(() => client.PutBlobBatchAsync([File("g3.bin", RandomNumberGenerator.GetBytes(10)), shrunk]));

        Assert.Equal(3_000, error.ExpectedSize);
        Assert.Equal([shrunk.Digest], await client.FindMissingBlobsAsync([shrunk.Digest]));
    }
}
