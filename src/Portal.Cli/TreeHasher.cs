using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Portal.Cli;

/// <summary>A local file to be hashed: its path in the manifest and on disk.</summary>
internal sealed record LocalFile(string ManifestPath, FileInfo File);

internal sealed record HashedFile(string ManifestPath, FileInfo File, string Digest, long Size);

/// <summary>SHA-256 of many files on all cores, skipping files the <see cref="DigestCache"/> already knows.</summary>
internal static class TreeHasher
{
    public static (IReadOnlyList<HashedFile> Files, int FromCache) Hash(
        IReadOnlyList<LocalFile> files, DigestCache cache, ProgressStep progress, CancellationToken ct)
    {
        var results = new HashedFile[files.Count];
        var fromCache = 0;
        var failures = new ConcurrentQueue<string>();
        Parallel.For(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct }, i =>
        {
            var file = files[i].File;
            try
            {
                // The directory walk just filled in size and mtime; a second stat per file would cost as much as a cache hit.
                var identity = FileIdentity.Of(file);
                var digest = cache.TryGet(file.FullName, identity);
                if (digest is not null)
                {
                    Interlocked.Increment(ref fromCache);
                }
                else
                {
                    var hashedAt = DateTime.UtcNow;
                    digest = HashFile(file.FullName);
                    cache.Set(file.FullName, identity, digest, hashedAt);
                }

                results[i] = new HashedFile(files[i].ManifestPath, file, digest, identity.Size);
                progress.Advance(identity.Size);
                progress.FileDone();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                failures.Enqueue($"cannot read {file.FullName}: {ex.Message}");
            }
        });
        progress.Complete();
        if (!failures.IsEmpty)
            throw new CliException(string.Join(Environment.NewLine + "error: ", failures.Order(StringComparer.Ordinal)));
        return (results, fromCache);
    }

    // Large reads keep the syscalls per byte low; the buffer comes from the pool because a fresh 1 MiB array per file
    // (as a FileStream buffer) cost more in allocation and GC than hashing a small file does.
    private const int ReadSize = 1 << 20;

    public static string HashFile(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(ReadSize);
        try
        {
            long offset = 0;
            int read;
            while ((read = RandomAccess.Read(handle, buffer.AsSpan(0, ReadSize), offset)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                offset += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
