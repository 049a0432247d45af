using System.Diagnostics;
using System.Security.Cryptography;
using Portal.Client;
using Portal.Core.Storage;
using Xunit;
using Xunit.Abstractions;

namespace Portal.Core.Tests.Storage;

/// <summary>
/// What every <see cref="IBlobStore"/> must do, run against each store (one subclass per store). Cloud stores run
/// against local stand-ins (Azurite, s3rver) when their variables are set, and skip otherwise.
/// </summary>
/// <remarks>Not parallel with other tests: one test measures how much the process allocates during a put.</remarks>
[Collection(BlobStoreContractCollection.Name)]
public abstract class BlobStoreContractTests(ITestOutputHelper output) : IAsyncLifetime
{
    private IBlobStore? _store;

    /// <summary>The stores' clock; cleanup tests move it forward instead of waiting.</summary>
    protected ShiftedClock Clock { get; } = new();

    /// <summary>Size of the store's upload chunk (block, part, buffer): tests cross it to exercise multi-chunk puts.</summary>
    protected abstract int ChunkSize { get; }

    /// <summary>Whether concurrent puts of the same bytes report exactly one of them as the one that stored them.</summary>
    protected virtual bool ConcurrentPutsStoreOnce => true;

    /// <summary>Creates the store (fresh and empty), or skips the test when its server is not available.</summary>
    protected abstract Task<IBlobStore> CreateStoreAsync();

    /// <summary>Flips one byte of a stored blob behind the store's back, as a failing disk or a bad copy would.</summary>
    protected abstract Task CorruptAsync(string digest, long offset);

    /// <summary>Leaves a temp object as a put that crashed half-way would.</summary>
    protected abstract Task CreateAbandonedTempAsync();

    /// <summary>How many temp objects the store holds.</summary>
    protected abstract Task<int> CountTempObjectsAsync();

    protected virtual Task DisposeStoreAsync() => Task.CompletedTask;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_store is not null)
            await DisposeStoreAsync();
        (_store as IDisposable)?.Dispose();
    }

    private async Task<IBlobStore> StoreAsync() => _store ??= await CreateStoreAsync();

    [SkippableTheory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)] // exactly one chunk
    [InlineData(-2)] // two chunks and a bit
    public async Task Round_trip_with_and_without_verification(int length)
    {
        var store = await StoreAsync();
        length = length switch { -1 => ChunkSize, -2 => (2 * ChunkSize) + 12345, _ => length };
        var content = RandomBytes(length);
        var digest = ContentDigest.Of(content);

        var result = await store.PutAsync(digest, new NonSeekableStream(content));

        Assert.Equal(new BlobPutResult(digest, length, AlreadyExisted: false), result);
        Assert.True(await store.ExistsAsync(digest));
        Assert.Equal(length, await store.GetSizeAsync(digest));
        Assert.True(await store.VerifyAsync(digest));
        foreach (var verify in new[] { false, true })
        {
            await using var stream = await store.OpenReadAsync(digest, verify);
            Assert.Equal(!verify, stream.CanSeek);
            Assert.Equal(length, stream.Length);
            var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            Assert.Equal(content, copy.ToArray());
        }
        Assert.Equal(0, await CountTempObjectsAsync());
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Put_without_digest_computes_it_and_leaves_no_temp_object(bool multiChunk)
    {
        var store = await StoreAsync();
        var content = RandomBytes(multiChunk ? (2 * ChunkSize) + 7 : 1000);

        var result = await store.PutAsync(new NonSeekableStream(content));

        Assert.Equal(new BlobPutResult(ContentDigest.Of(content), content.Length, AlreadyExisted: false), result);
        Assert.Equal(content, await ReadAllAsync(store, result.Digest, verify: true));
        Assert.True((await store.PutAsync(new NonSeekableStream(content))).AlreadyExisted);
        Assert.Equal(0, await CountTempObjectsAsync());
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Mismatch_is_422_names_both_digests_and_stores_nothing(bool multiChunk)
    {
        var store = await StoreAsync();
        var content = RandomBytes(multiChunk ? (2 * ChunkSize) + 3 : 100_000);
        var claimed = ContentDigest.Of("something else"u8);
        var actual = ContentDigest.Of(content);

        var error = await Assert.ThrowsAsync<PortalException>(() => store.PutAsync(claimed, new NonSeekableStream(content)));

        Assert.Equal((422, ErrorCodes.DigestMismatch), (error.Status, error.Code));
        Assert.Contains(claimed, error.Message, StringComparison.Ordinal);
        Assert.Contains(actual, error.Message, StringComparison.Ordinal);
        Assert.False(await store.ExistsAsync(claimed));
        Assert.False(await store.ExistsAsync(actual));
        var read = await Assert.ThrowsAsync<PortalException>(() => store.OpenReadAsync(claimed, verify: false));
        Assert.Equal(ErrorCodes.BlobNotFound, read.Code);
        Assert.Equal(0, await CountTempObjectsAsync());
    }

    [SkippableFact]
    public async Task Second_put_reports_existing_blob_without_reading_the_body()
    {
        var store = await StoreAsync();
        var content = RandomBytes(1000);
        var digest = ContentDigest.Of(content);
        await store.PutAsync(digest, new MemoryStream(content));

        var again = await store.PutAsync(digest, new ThrowingStream());

        Assert.Equal(new BlobPutResult(digest, content.Length, AlreadyExisted: true), again);
    }

    [SkippableFact]
    public async Task Concurrent_puts_of_one_blob_all_succeed_and_store_it_intact()
    {
        var store = await StoreAsync();
        var content = RandomBytes((2 * ChunkSize) + 1);
        var digest = ContentDigest.Of(content);

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
            Task.Run(() => store.PutAsync(digest, new NonSeekableStream(content)))));

        Assert.All(results, r => Assert.Equal((digest, (long)content.Length), (r.Digest, r.Size)));
        if (ConcurrentPutsStoreOnce)
            Assert.Single(results, r => !r.AlreadyExisted);
        else
            Assert.Contains(results, r => !r.AlreadyExisted);
        Assert.True(await store.VerifyAsync(digest));
        Assert.Equal(content, await ReadAllAsync(store, digest, verify: true));
    }

    [SkippableFact]
    public async Task Large_put_streams_without_holding_the_blob_in_memory()
    {
        var store = await StoreAsync();
        const long length = 64L * 1024 * 1024;
        var digest = await ContentDigest.OfAsync(new GeneratedStream(length));

        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        var result = await store.PutAsync(digest, new GeneratedStream(length), maxSize: length);
        var elapsed = clock.Elapsed;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        output.WriteLine($"{GetType().Name}: put of {length / (1024 * 1024)} MiB took {elapsed.TotalMilliseconds:N0} ms ({length / (1024 * 1024) / elapsed.TotalSeconds:N0} MiB/s) and allocated {allocated / (1024.0 * 1024):N1} MiB.");

        Assert.Equal(new BlobPutResult(digest, length, AlreadyExisted: false), result);
        // Buffering the body would allocate at least its 64 MiB; streaming needs a few chunks.
        Assert.True(allocated < length / 2, $"The put allocated {allocated:N0} bytes for a {length:N0}-byte blob.");
        await using var stream = await store.OpenReadAsync(digest, verify: true);
        Assert.Equal(digest, await ContentDigest.OfAsync(stream));
    }

    [SkippableFact]
    public async Task Unverified_read_seeks_for_ranges()
    {
        var store = await StoreAsync();
        var content = RandomBytes((2 * ChunkSize) + 500);
        var digest = (await store.PutAsync(new MemoryStream(content))).Digest;

        await using var stream = await store.OpenReadAsync(digest, verify: false);
        Assert.True(stream.CanSeek);
        foreach (var (offset, count) in new[] { (ChunkSize - 10, 20), (5L, 100), ((long)content.Length - 7, 7), (0L, 1) })
        {
            stream.Seek(offset, SeekOrigin.Begin);
            var buffer = new byte[count];
            await stream.ReadExactlyAsync(buffer);
            Assert.Equal(content.AsSpan((int)offset, count).ToArray(), buffer);
            Assert.Equal(offset + count, stream.Position);
        }
        stream.Position = content.Length;
        Assert.Equal(0, await stream.ReadAsync(new byte[10]));
        stream.Seek(-300, SeekOrigin.End);
        var tail = new MemoryStream();
        await stream.CopyToAsync(tail);
        Assert.Equal(content[^300..], tail.ToArray());
    }

    [SkippableFact]
    public async Task Verifying_read_of_a_corrupted_blob_throws_digest_mismatch()
    {
        var store = await StoreAsync();
        var content = RandomBytes(ChunkSize + 10);
        var digest = ContentDigest.Of(content);
        await store.PutAsync(digest, new MemoryStream(content));
        await CorruptAsync(digest, offset: 12345);

        Assert.False(await store.VerifyAsync(digest));
        await using (var unverified = await store.OpenReadAsync(digest, verify: false))
            await unverified.CopyToAsync(Stream.Null);

        await using var verified = await store.OpenReadAsync(digest, verify: true);
        var error = await Assert.ThrowsAsync<PortalException>(() => verified.CopyToAsync(Stream.Null));
        Assert.Equal((500, ErrorCodes.DigestMismatch), (error.Status, error.Code));
        Assert.Contains(digest, error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Max_size_is_413_and_stores_nothing()
    {
        var store = await StoreAsync();
        var content = RandomBytes((2 * ChunkSize) + 1);
        var digest = ContentDigest.Of(content);

        var known = await Assert.ThrowsAsync<PortalException>(() => store.PutAsync(digest, new MemoryStream(content), maxSize: 1000));
        var streamed = await Assert.ThrowsAsync<PortalException>(() => store.PutAsync(digest, new NonSeekableStream(content), maxSize: content.Length - 1));
        var unknownDigest = await Assert.ThrowsAsync<PortalException>(() => store.PutAsync(new NonSeekableStream(content), maxSize: ChunkSize + 1));

        Assert.All([known, streamed, unknownDigest], e => Assert.Equal((413, ErrorCodes.BlobTooLarge), (e.Status, e.Code)));
        Assert.False(await store.ExistsAsync(digest));
        Assert.Equal(0, await CountTempObjectsAsync());
        Assert.False((await store.PutAsync(digest, new NonSeekableStream(content), maxSize: content.Length)).AlreadyExisted);
    }

    [SkippableFact]
    public async Task Cancelled_put_stores_nothing()
    {
        var store = await StoreAsync();
        var content = RandomBytes(3 * ChunkSize);
        var digest = ContentDigest.Of(content);
        using var cancellation = new CancellationTokenSource();
        var stream = new NonSeekableStream(content) { AfterRead = position => { if (position > ChunkSize + 1) cancellation.Cancel(); } };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.PutAsync(digest, stream, cancellation.Token));

        Assert.False(await store.ExistsAsync(digest));
        Assert.Equal(0, await CountTempObjectsAsync());
    }

    [SkippableFact]
    public async Task Delete_removes_the_blob()
    {
        var store = await StoreAsync();
        var digest = (await store.PutAsync(new MemoryStream(RandomBytes(10)))).Digest;

        Assert.True(await store.DeleteAsync(digest));

        Assert.False(await store.ExistsAsync(digest));
        Assert.False(await store.DeleteAsync(digest));
        var error = await Assert.ThrowsAsync<PortalException>(() => store.OpenReadAsync(digest, verify: true));
        Assert.Equal((404, ErrorCodes.BlobNotFound), (error.Status, error.Code));
    }

    [SkippableFact]
    public async Task Missing_blob()
    {
        var store = await StoreAsync();
        var digest = ContentDigest.Of("not stored"u8);

        Assert.False(await store.ExistsAsync(digest));
        Assert.Null(await store.GetSizeAsync(digest));
        Assert.False(await store.VerifyAsync(digest));
        Assert.False(await store.DeleteAsync(digest));
        foreach (var verify in new[] { false, true })
        {
            var error = await Assert.ThrowsAsync<PortalException>(() => store.OpenReadAsync(digest, verify));
            Assert.Equal((404, ErrorCodes.BlobNotFound), (error.Status, error.Code));
        }
        var invalid = await Assert.ThrowsAsync<PortalException>(() => store.ExistsAsync("ABC"));
        Assert.Equal((400, ErrorCodes.DigestInvalid), (invalid.Status, invalid.Code));
    }

    [SkippableFact]
    public async Task Cleanup_removes_only_stale_temp_objects()
    {
        var store = await StoreAsync();
        var content = RandomBytes(10);
        var digest = (await store.PutAsync(new MemoryStream(content))).Digest;
        await CreateAbandonedTempAsync();
        Assert.Equal(1, await CountTempObjectsAsync());

        Assert.Equal(0, await store.CleanupTempFilesAsync(TimeSpan.FromHours(1)));
        Assert.Equal(1, await CountTempObjectsAsync());

        Clock.Offset = TimeSpan.FromHours(2);
        Assert.Equal(1, await store.CleanupTempFilesAsync(TimeSpan.FromHours(1)));

        Assert.Equal(0, await CountTempObjectsAsync());
        Assert.True(await store.VerifyAsync(digest));
    }

    protected static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        RandomNumberGenerator.Fill(bytes);
        return bytes;
    }

    private static async Task<byte[]> ReadAllAsync(IBlobStore store, string digest, bool verify)
    {
        await using var stream = await store.OpenReadAsync(digest, verify);
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    /// <summary>A clock that runs with real time plus an offset tests can move.</summary>
    protected sealed class ShiftedClock : TimeProvider
    {
        public TimeSpan Offset { get; set; }

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
    }

    /// <summary>Like a request body: no Length, no seeking, short reads.</summary>
    private sealed class NonSeekableStream(byte[] content) : Stream
    {
        private int _position;

        public Action<int>? AfterRead { get; init; }

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
            AfterRead?.Invoke(_position);
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

    /// <summary>
    /// A long pseudo-random body produced on the fly (one 64 KiB pattern, numbered per block), so the test itself
    /// holds no copy of it.
    /// </summary>
    private sealed class GeneratedStream(long length) : Stream
    {
        private const int BlockSize = 64 * 1024;
        private static readonly byte[] Pattern = CreatePattern();
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var total = 0;
            while (total < buffer.Length && _position < length)
            {
                var block = _position / BlockSize;
                var inBlock = (int)(_position % BlockSize);
                var count = (int)Math.Min(Math.Min(BlockSize - inBlock, buffer.Length - total), length - _position);
                Pattern.AsSpan(inBlock, count).CopyTo(buffer.Slice(total, count));
                // Number the block in its first bytes, so that no two blocks are equal.
                for (var i = inBlock; i < Math.Min(8, inBlock + count); i++)
                    buffer[total + i - inBlock] ^= (byte)(block >> (8 * i));
                total += count;
                _position += count;
            }
            return total;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private static byte[] CreatePattern()
        {
            var pattern = new byte[BlockSize];
            new Random(20261130).NextBytes(pattern);
            return pattern;
        }
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

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BlobStoreContractCollection
{
    public const string Name = "Blob store contract";
}
