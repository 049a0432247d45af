using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Portal.Web.Infrastructure;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>Kestrel's 64 KiB blocks: whole blocks for every request, recycled, and what the host really uses.</summary>
public sealed class KestrelBuffersTests
{
    [Fact]
    public void Every_rent_gets_at_least_a_whole_block_and_larger_requests_their_size()
    {
        using var pool = new KestrelBuffers.LargeBlockPool();

        using var small = pool.Rent(1);
        using var unspecified = pool.Rent();
        using var large = pool.Rent(KestrelBuffers.BlockSize + 1);

        Assert.Equal(KestrelBuffers.BlockSize, small.Memory.Length);
        Assert.Equal(KestrelBuffers.BlockSize, unspecified.Memory.Length);
        Assert.Equal(KestrelBuffers.BlockSize + 1, large.Memory.Length);
    }

    [Fact]
    public void Returned_blocks_are_reused_and_the_free_list_is_bounded()
    {
        using var pool = new KestrelBuffers.LargeBlockPool();
        var first = pool.Rent(4096);
        first.Memory.Span[0] = 7;
        var array = System.Runtime.InteropServices.MemoryMarshal.TryGetArray<byte>(first.Memory, out var segment) ? segment.Array : null;
        first.Dispose();
        first.Dispose();
        Assert.Equal(1, pool.FreeCount);
        Assert.Throws<ObjectDisposedException>(() => first.Memory);

        using var second = pool.Rent(4096);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray<byte>(second.Memory, out var reused));
        Assert.Same(array, reused.Array);
        Assert.Equal(0, pool.FreeCount);

        var many = Enumerable.Range(0, KestrelBuffers.LargeBlockPool.MaxFreeBlocks + 10).Select(_ => pool.Rent(4096)).ToList();
        foreach (var block in many)
            block.Dispose();
        Assert.Equal(KestrelBuffers.LargeBlockPool.MaxFreeBlocks, pool.FreeCount);
    }

    [Fact]
    public void The_portal_gives_kestrel_the_large_block_pool()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IMemoryPoolFactory<byte>>(new DefaultLikeFactory());

        services.AddPortalKestrelBuffers();

        using var provider = services.BuildServiceProvider();
        using var pool = provider.GetRequiredService<IMemoryPoolFactory<byte>>().Create();
        Assert.IsType<KestrelBuffers.LargeBlockPool>(pool);
    }

    private sealed class DefaultLikeFactory : IMemoryPoolFactory<byte>
    {
        public System.Buffers.MemoryPool<byte> Create(MemoryPoolOptions? options = null) => System.Buffers.MemoryPool<byte>.Shared;
    }
}
