using System.Security.Cryptography;
using Portal.Client;
using Portal.Core.Storage;
using Xunit;

namespace Portal.Core.Tests.Storage;

public sealed class FileSystemBlobStoreTests : IDisposable
{
    private readonly TemporaryFolder _folder = new();
    private readonly FileSystemBlobStore _store;

    public FileSystemBlobStoreTests()
    {
        _store = new FileSystemBlobStore(_folder.Path);
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Put_stores_blob_at_sha256_ab_cd_digest()
    {
        var content = "hello, portal\n"u8.ToArray();
        var digest = ContentDigest.Of(content);

        var result = await _store.PutAsync(digest, new MemoryStream(content));

        var expectedPath = Path.Combine(_folder.Path, "sha256", digest[..2], digest[2..4], digest);
        Assert.Equal(expectedPath, _store.GetBlobPath(digest));
        Assert.Equal(content, await File.ReadAllBytesAsync(expectedPath));
        Assert.Equal(new BlobPutResult(digest, content.Length, AlreadyExisted: false), result);
        Assert.Empty(TempFiles());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(FileSystemBlobStore.BufferSize)]
    [InlineData((3 * FileSystemBlobStore.BufferSize) + 12345)]
    public async Task Round_trip_with_and_without_verification(int length)
    {
        var content = RandomBytes(length);
        var digest = ContentDigest.Of(content);
        await _store.PutAsync(digest, new MemoryStream(content));

        Assert.True(await _store.ExistsAsync(digest));
        Assert.Equal(length, await _store.GetSizeAsync(digest));
        Assert.True(await _store.VerifyAsync(digest));
        foreach (var verify in new[] { false, true })
        {
            await using var stream = await _store.OpenReadAsync(digest, verify);
            Assert.Equal(!verify, stream.CanSeek);
            Assert.Equal(length, stream.Length);
            var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            Assert.Equal(content, copy.ToArray());
        }
    }

    [Fact]
    public async Task Put_without_digest_computes_it()
    {
        var content = RandomBytes(FileSystemBlobStore.BufferSize + 7);

        var result = await _store.PutAsync(new NonSeekableStream(content));

        Assert.Equal(ContentDigest.Of(content), result.Digest);
        Assert.Equal(content.Length, result.Size);
        Assert.False(result.AlreadyExisted);
        Assert.Equal(content, await File.ReadAllBytesAsync(_store.GetBlobPath(result.Digest)));
        Assert.True((await _store.PutAsync(new MemoryStream(content))).AlreadyExisted);
        Assert.Empty(TempFiles());
    }

    [Fact]
    public async Task Mismatch_is_422_names_both_digests_and_stores_nothing()
    {
        var content = RandomBytes(100_000);
        var claimed = ContentDigest.Of("something else"u8);
        var actual = ContentDigest.Of(content);

        var error = await Assert.ThrowsAsync<PortalException>(() => _store.PutAsync(claimed, new MemoryStream(content)));

        Assert.Equal(422, error.Status);
        Assert.Equal(ErrorCodes.DigestMismatch, error.Code);
        Assert.Contains(claimed, error.Message, StringComparison.Ordinal);
        Assert.Contains(actual, error.Message, StringComparison.Ordinal);
        Assert.False(await _store.ExistsAsync(claimed));
        Assert.False(await _store.ExistsAsync(actual));
        Assert.Empty(TempFiles());
    }

    [Theory]
    [InlineData("ABCDEF")]
    [InlineData("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")]
    [InlineData("../../../../../../../../../../../../../../../../../../../../etc/passwd")]
    public async Task Invalid_digest_is_400(string digest)
    {
        var put = await Assert.ThrowsAsync<PortalException>(() => _store.PutAsync(digest, new MemoryStream([1])));
        Assert.Equal((400, ErrorCodes.DigestInvalid), (put.Status, put.Code));
        var exists = await Assert.ThrowsAsync<PortalException>(() => _store.ExistsAsync(digest));
        Assert.Equal(ErrorCodes.DigestInvalid, exists.Code);
        await Assert.ThrowsAsync<PortalException>(() => _store.OpenReadAsync(digest, verify: false));
        await Assert.ThrowsAsync<PortalException>(() => _store.DeleteAsync(digest));
    }

    [Fact]
    public async Task Second_put_reports_existing_blob_without_reading_the_body()
    {
        var content = RandomBytes(1000);
        var digest = ContentDigest.Of(content);
        await _store.PutAsync(digest, new MemoryStream(content));

        var again = await _store.PutAsync(digest, new ThrowingStream());

        Assert.Equal(new BlobPutResult(digest, content.Length, AlreadyExisted: true), again);
    }

    [Fact]
    public async Task Twenty_concurrent_puts_of_one_blob_store_it_once()
    {
        var content = RandomBytes((2 * FileSystemBlobStore.BufferSize) + 1);
        var digest = ContentDigest.Of(content);

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            Task.Run(() => _store.PutAsync(digest, new NonSeekableStream(content)))));

        Assert.All(results, r => Assert.Equal((digest, (long)content.Length), (r.Digest, r.Size)));
        // The no-overwrite rename lets one put win and the others find the blob there. Where the file system cannot
        // make hard links, .NET's no-overwrite move falls back to check-then-rename and two puts may both win; both
        // carry the same verified bytes, so what must hold is an intact blob, and most puts finding it stored.
        Assert.Contains(results, r => !r.AlreadyExisted);
        Assert.True(results.Count(r => r.AlreadyExisted) >= results.Length / 2, $"{results.Count(r => !r.AlreadyExisted)} puts wrote the blob");
        Assert.Equal(content, await File.ReadAllBytesAsync(_store.GetBlobPath(digest)));
        Assert.True(await _store.VerifyAsync(digest));
        Assert.Empty(TempFiles());
    }

    [Fact]
    public async Task Verifying_read_throws_500_on_a_corrupted_blob()
    {
        var content = RandomBytes((2 * FileSystemBlobStore.BufferSize) + 10);
        var digest = ContentDigest.Of(content);
        await _store.PutAsync(digest, new MemoryStream(content));
        await CorruptAsync(digest, offset: 12345);

        Assert.False(await _store.VerifyAsync(digest));

        await using (var unverified = await _store.OpenReadAsync(digest, verify: false))
            await unverified.CopyToAsync(Stream.Null);

        await using var verified = await _store.OpenReadAsync(digest, verify: true);
        var error = await Assert.ThrowsAsync<PortalException>(() => verified.CopyToAsync(Stream.Null));
        Assert.Equal(500, error.Status);
        Assert.Equal(ErrorCodes.DigestMismatch, error.Code);
        Assert.Contains("corrupt", error.Message, StringComparison.Ordinal);
        Assert.Contains(digest, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verifying_read_fails_on_the_last_chunk_even_if_the_reader_stops_at_Length()
    {
        var content = RandomBytes(10_000);
        var digest = ContentDigest.Of(content);
        await _store.PutAsync(digest, new MemoryStream(content));
        await CorruptAsync(digest, offset: 9_999);

        await using var stream = await _store.OpenReadAsync(digest, verify: true);
        var buffer = new byte[content.Length];
        var error = Assert.Throws<PortalException>(() => stream.ReadExactly(buffer));
        Assert.Equal(ErrorCodes.DigestMismatch, error.Code);
    }

    [Fact]
    public async Task Missing_blob()
    {
        var digest = ContentDigest.Of("not stored"u8);

        Assert.False(await _store.ExistsAsync(digest));
        Assert.Null(await _store.GetSizeAsync(digest));
        Assert.False(await _store.VerifyAsync(digest));
        Assert.False(await _store.DeleteAsync(digest));
        var error = await Assert.ThrowsAsync<PortalException>(() => _store.OpenReadAsync(digest, verify: true));
        Assert.Equal((404, ErrorCodes.BlobNotFound), (error.Status, error.Code));
    }

    [Fact]
    public async Task Delete_removes_the_blob()
    {
        var content = RandomBytes(10);
        var digest = (await _store.PutAsync(new MemoryStream(content))).Digest;

        Assert.True(await _store.DeleteAsync(digest));

        Assert.False(await _store.ExistsAsync(digest));
        Assert.False(await _store.DeleteAsync(digest));
    }

    [Fact]
    public async Task Max_size_is_413_and_stores_nothing()
    {
        var content = RandomBytes(FileSystemBlobStore.BufferSize + 1);
        var digest = ContentDigest.Of(content);

        var known = await Assert.ThrowsAsync<PortalException>(() => _store.PutAsync(digest, new MemoryStream(content), maxSize: 1000));
        var streamed = await Assert.ThrowsAsync<PortalException>(() => _store.PutAsync(digest, new NonSeekableStream(content), maxSize: content.Length - 1));
        var unknownDigest = await Assert.ThrowsAsync<PortalException>(() => _store.PutAsync(new NonSeekableStream(content), maxSize: 1000));

        Assert.All([known, streamed, unknownDigest], e => Assert.Equal((413, ErrorCodes.BlobTooLarge), (e.Status, e.Code)));
        Assert.False(await _store.ExistsAsync(digest));
        Assert.Empty(TempFiles());
        Assert.False((await _store.PutAsync(digest, new NonSeekableStream(content), maxSize: content.Length)).AlreadyExisted);
    }

    [Fact]
    public async Task Cancelled_put_leaves_no_temp_file()
    {
        var content = RandomBytes(3 * FileSystemBlobStore.BufferSize);
        using var cancellation = new CancellationTokenSource();
        var stream = new NonSeekableStream(content) { AfterRead = cancellation.Cancel };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _store.PutAsync(ContentDigest.Of(content), stream, cancellation.Token));

        Assert.Empty(TempFiles());
        Assert.False(await _store.ExistsAsync(ContentDigest.Of(content)));
    }

    [SkippableFact]
    public async Task Disk_full_is_507_and_removes_the_temp_file()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && File.Exists("/dev/full"), "needs /dev/full");
        var createdTempFiles = new List<string>();
        // The temp file is really created (so its removal can be checked) but the bytes go to /dev/full, which fails
        // every write with ENOSPC — the same error a full disk gives.
        var store = new FileSystemBlobStore(_folder.Path)
        {
            OpenTempFile = path =>
            {
                File.WriteAllBytes(path, []);
                createdTempFiles.Add(path);
                return new FileStream("/dev/full", FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
            },
        };
        var content = RandomBytes(100_000);

        var error = await Assert.ThrowsAsync<PortalException>(() => store.PutAsync(ContentDigest.Of(content), new MemoryStream(content)));

        Assert.Equal((507, ErrorCodes.StorageFull), (error.Status, error.Code));
        Assert.Single(createdTempFiles);
        Assert.False(File.Exists(createdTempFiles[0]));
        Assert.False(await store.ExistsAsync(ContentDigest.Of(content)));
    }

    [SkippableFact]
    public void IsDiskFull_recognises_the_real_ENOSPC_exception()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && File.Exists("/dev/full"), "needs /dev/full");
        using var full = new FileStream("/dev/full", FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);

        var error = Assert.ThrowsAny<IOException>(() => full.Write(new byte[10]));

        Assert.True(FileSystemBlobStore.IsDiskFull(error), $"HResult {error.HResult}: {error.Message}");
        Assert.False(FileSystemBlobStore.IsDiskFull(new IOException("other")));
    }

    [Fact]
    public async Task Cleanup_removes_only_stale_temp_files()
    {
        var content = RandomBytes(10);
        var digest = (await _store.PutAsync(new MemoryStream(content))).Digest;
        var folder = Path.GetDirectoryName(_store.GetBlobPath(digest))!;
        var stale = Path.Combine(folder, FileSystemBlobStore.TempFilePrefix + Guid.NewGuid().ToString("N"));
        var staleAtRoot = Path.Combine(_folder.Path, "sha256", FileSystemBlobStore.TempFilePrefix + Guid.NewGuid().ToString("N"));
        var fresh = Path.Combine(folder, FileSystemBlobStore.TempFilePrefix + Guid.NewGuid().ToString("N"));
        foreach (var path in new[] { stale, staleAtRoot, fresh })
            await File.WriteAllBytesAsync(path, [1, 2, 3]);
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-3));
        File.SetLastWriteTimeUtc(staleAtRoot, DateTime.UtcNow.AddHours(-3));
        File.SetLastWriteTimeUtc(_store.GetBlobPath(digest), DateTime.UtcNow.AddDays(-30));

        var removed = await _store.CleanupTempFilesAsync(TimeSpan.FromHours(1));

        Assert.Equal(2, removed);
        Assert.False(File.Exists(stale));
        Assert.False(File.Exists(staleAtRoot));
        Assert.True(File.Exists(fresh));
        Assert.True(await _store.VerifyAsync(digest));
    }

    [Fact]
    public async Task Cleanup_of_an_empty_store_does_nothing()
    {
        var store = new FileSystemBlobStore(Path.Combine(_folder.Path, "never-used"));
        Assert.Equal(0, await store.CleanupTempFilesAsync(TimeSpan.Zero));
    }

    private IEnumerable<string> TempFiles() =>
        Directory.Exists(_folder.Path)
            ? Directory.EnumerateFiles(_folder.Path, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
                .Where(p => Path.GetFileName(p).StartsWith(FileSystemBlobStore.TempFilePrefix, StringComparison.Ordinal))
            : [];

    private async Task CorruptAsync(string digest, long offset)
    {
        await using var file = new FileStream(_store.GetBlobPath(digest), FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset;
        var original = file.ReadByte();
        file.Position = offset;
        file.WriteByte((byte)(original ^ 0xFF));
    }

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        RandomNumberGenerator.Fill(bytes);
        return bytes;
    }

    /// <summary>Like a request body: no Length, no seeking, short reads.</summary>
    private sealed class NonSeekableStream(byte[] content) : Stream
    {
        private int _position;

        public Action? AfterRead { get; init; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            // Network-sized reads, so the store has to loop.
            var count = Math.Min(Math.Min(buffer.Length, 300_000), content.Length - _position);
            content.AsSpan(_position, count).CopyTo(buffer);
            _position += count;
            AfterRead?.Invoke();
            return count;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(Read(buffer.Span));
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class ThrowingStream : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) =>
            throw new InvalidOperationException("The body must not be read when the blob is already stored.");

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
