using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Portal.Web.Infrastructure;

/// <summary>
/// Gives Kestrel's connections 64 KiB buffers instead of its default 4 KiB blocks.
/// </summary>
/// <remarks>
/// The socket transport receives into one pipe segment at a time, and a segment is one block of the memory pool, so
/// with 4 KiB blocks a 1 GiB blob upload costs some 260,000 receive calls, each with its own pipe hand-over and
/// thread-pool wake-up. Where system calls are expensive (containers, sandboxes) that was the largest part of the
/// portal's CPU time during an upload, well ahead of hashing and writing the bytes. With 64 KiB blocks a receive takes
/// what the socket holds, up to 64 KiB. Idle connections hold no block (the transport waits for data before it asks
/// for memory), so the larger blocks cost memory only while a connection is actually reading.
/// </remarks>
public static class KestrelBuffers
{
    /// <summary>Size of every block handed to Kestrel (smaller requests get a whole block too).</summary>
    public const int BlockSize = 64 * 1024;

    public static IServiceCollection AddPortalKestrelBuffers(this IServiceCollection services)
    {
        services.Replace(ServiceDescriptor.Singleton<IMemoryPoolFactory<byte>, LargeBlockPoolFactory>());
        return services;
    }

    internal sealed class LargeBlockPoolFactory : IMemoryPoolFactory<byte>
    {
        public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new LargeBlockPool();
    }

    /// <summary>
    /// Blocks are pinned arrays (the socket pins its receive buffer anyway) kept on a free list. The shared array pool
    /// keeps only a few arrays of one size per core, fewer than a handful of busy uploads hold at once, so the rest
    /// would be garbage every time; the free list keeps up to <see cref="MaxFreeBlocks"/> for the next reads.
    /// </summary>
    internal sealed class LargeBlockPool : MemoryPool<byte>
    {
        /// <summary>At most this many idle blocks (16 MiB) stay allocated; more are left to the garbage collector.</summary>
        internal const int MaxFreeBlocks = 256;

        private readonly ConcurrentQueue<byte[]> _free = new();
        private int _freeCount;

        public override int MaxBufferSize => Array.MaxLength;

        internal int FreeCount => Volatile.Read(ref _freeCount);

        public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
        {
            if (minBufferSize > BlockSize)
                return new Block(this, GC.AllocateUninitializedArray<byte>(minBufferSize, pinned: true));
            if (_free.TryDequeue(out var block))
            {
                Interlocked.Decrement(ref _freeCount);
                return new Block(this, block);
            }
            return new Block(this, GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true));
        }

        internal void Return(byte[] block)
        {
            if (block.Length != BlockSize || Interlocked.Increment(ref _freeCount) > MaxFreeBlocks)
            {
                if (block.Length == BlockSize)
                    Interlocked.Decrement(ref _freeCount);
                return;
            }
            _free.Enqueue(block);
        }

        protected override void Dispose(bool disposing)
        {
            _free.Clear();
        }
    }

    private sealed class Block(LargeBlockPool pool, byte[] array) : IMemoryOwner<byte>
    {
        private byte[]? _array = array;

        public Memory<byte> Memory => _array ?? throw new ObjectDisposedException(nameof(Block));

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _array, null) is { } returned)
                pool.Return(returned);
        }
    }
}
