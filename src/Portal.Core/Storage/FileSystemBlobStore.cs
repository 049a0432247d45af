using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Portal.Client;

namespace Portal.Core.Storage;

/// <summary>
/// Blob store on a local (or mounted) file system, laid out as <c>&lt;root&gt;/sha256/ab/cd/&lt;64 hex&gt;</c> so
/// that no folder grows beyond 65,536 entries per level.
/// </summary>
/// <remarks>
/// A put streams into a uniquely named temp file in the target's own folder (so the final rename never crosses a
/// file system and is atomic), hashes while writing, flushes to disk, and only then renames without overwrite.
/// Readers therefore see either no blob or the complete, verified one; concurrent puts of the same blob race only
/// on the rename, and the loser discards its temp file.
/// </remarks>
public sealed partial class FileSystemBlobStore : IBlobStore
{
    /// <summary>Temp files start with this; <see cref="CleanupTempFilesAsync"/> deletes stale ones.</summary>
    public const string TempFilePrefix = ".tmp-";

    // 1 MiB chunks keep syscall and hashing overhead negligible next to the bytes moved.
    internal const int BufferSize = 1024 * 1024;

    private readonly string _blobRoot;
    private readonly TimeProvider _time;

    public FileSystemBlobStore(string root, TimeProvider? timeProvider = null)
    {
        Root = Path.GetFullPath(root);
        _blobRoot = Path.Combine(Root, "sha256");
        _time = timeProvider ?? TimeProvider.System;
    }

    [Microsoft.Extensions.DependencyInjection.ActivatorUtilitiesConstructor]
    public FileSystemBlobStore(IOptions<BlobStoreOptions> options, TimeProvider timeProvider)
        : this(options.Value.Root, timeProvider)
    {
    }

    /// <summary>The store's folder, as a full path.</summary>
    public string Root { get; }

    /// <summary>Opens a new temp file for writing. A seam for tests that need a write to fail (e.g. disk full).</summary>
    internal Func<string, FileStream> OpenTempFile { get; init; } = DefaultOpenTempFile;

    /// <summary>Where the blob named <paramref name="digest"/> lives (whether or not it is stored).</summary>
    public string GetBlobPath(string digest)
    {
        ContentDigest.Validate(digest);
        return Path.Combine(_blobRoot, digest[..2], digest[2..4], digest);
    }

    public Task<BlobPutResult> PutAsync(string expectedDigest, Stream content, CancellationToken cancellationToken = default) =>
        PutAsync(expectedDigest, content, maxSize: null, cancellationToken);

    public async Task<BlobPutResult> PutAsync(string expectedDigest, Stream content, long? maxSize, CancellationToken cancellationToken = default)
    {
        var target = GetBlobPath(expectedDigest);
        if (TryGetLength(target) is { } existingLength)
            return new BlobPutResult(expectedDigest, existingLength, AlreadyExisted: true);
        RejectKnownOversize(content, maxSize);

        var folder = Path.GetDirectoryName(target)!;
        CreateFolder(folder);
        var (actual, size, temp) = await WriteTempFileAsync(folder, content, maxSize, cancellationToken);
        if (actual != expectedDigest)
        {
            TryDelete(temp);
            throw new PortalException(
                422,
                ErrorCodes.DigestMismatch,
                $"Content does not match its digest: expected sha256:{expectedDigest} but the {size:N0} bytes received hash to sha256:{actual}. Nothing was stored.",
                new Dictionary<string, object?> { ["expected"] = expectedDigest, ["actual"] = actual, ["size"] = size });
        }
        return MoveIntoPlace(temp, target, actual, size);
    }

    public Task<BlobPutResult> PutAsync(Stream content, CancellationToken cancellationToken = default) =>
        PutAsync(content, maxSize: null, cancellationToken);

    public async Task<BlobPutResult> PutAsync(Stream content, long? maxSize, CancellationToken cancellationToken = default)
    {
        RejectKnownOversize(content, maxSize);
        // The target folder is unknown until the bytes are hashed; the store's sha256 folder is on the same file
        // system, so the final rename stays atomic.
        CreateFolder(_blobRoot);
        var (digest, size, temp) = await WriteTempFileAsync(_blobRoot, content, maxSize, cancellationToken);
        var target = GetBlobPath(digest);
        try
        {
            CreateFolder(Path.GetDirectoryName(target)!);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        return MoveIntoPlace(temp, target, digest, size);
    }

    public Task<bool> ExistsAsync(string digest, CancellationToken cancellationToken = default) =>
        Task.FromResult(File.Exists(GetBlobPath(digest)));

    public Task<long?> GetSizeAsync(string digest, CancellationToken cancellationToken = default) =>
        Task.FromResult(TryGetLength(GetBlobPath(digest)));

    public Task<Stream> OpenReadAsync(string digest, bool verify, CancellationToken cancellationToken = default)
    {
        var path = GetBlobPath(digest);
        FileStream file;
        try
        {
            // FileShare.Delete: garbage collection may remove a blob while a download of it is still running.
            file = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.Read | FileShare.Delete,
                Options = verify ? FileOptions.SequentialScan : FileOptions.None,
            });
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw PortalException.NotFound(ErrorCodes.BlobNotFound, $"Blob sha256:{digest} is not stored.");
        }
        return Task.FromResult<Stream>(verify ? new VerifyingReadStream(file, digest) : file);
    }

    public Task<bool> DeleteAsync(string digest, CancellationToken cancellationToken = default)
    {
        var path = GetBlobPath(digest);
        if (!File.Exists(path))
            return Task.FromResult(false);
        // File.Delete does not throw when a concurrent delete won the race.
        File.Delete(path);
        return Task.FromResult(true);
    }

    public async Task<bool> VerifyAsync(string digest, CancellationToken cancellationToken = default)
    {
        var path = GetBlobPath(digest);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 0, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
        await using (file)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            try
            {
                int read;
                while ((read = await file.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
                    hash.AppendData(buffer, 0, read);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            return ContentDigest.ToHex(hash.GetHashAndReset()) == digest;
        }
    }

    /// <summary>A temp file in the store's own folder: adopting it is a rename, and a stale one is cleaned like any temp file.</summary>
    public string CreateStagingPath()
    {
        CreateFolder(_blobRoot);
        return Path.Combine(_blobRoot, TempFilePrefix + Guid.NewGuid().ToString("N"));
    }

    public Task<BlobPutResult> AdoptAsync(string digest, string path, CancellationToken cancellationToken = default)
    {
        var target = GetBlobPath(digest);
        var size = new FileInfo(path).Length;
        try
        {
            CreateFolder(Path.GetDirectoryName(target)!);
        }
        catch
        {
            TryDelete(path);
            throw;
        }
        return Task.FromResult(MoveIntoPlace(path, target, digest, size));
    }

    public Task<int> CleanupTempFilesAsync(TimeSpan olderThan, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(_blobRoot))
            return Task.FromResult(0);
        var cutoff = _time.GetUtcNow().UtcDateTime - olderThan;
        // AttributesToSkip must be cleared: on Unix, .NET reports dot-files as Hidden and would skip every temp file.
        var enumeration = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.None,
            MatchType = MatchType.Simple,
        };
        var removed = 0;
        foreach (var path in Directory.EnumerateFiles(_blobRoot, TempFilePrefix + "*", enumeration))
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (File.GetLastWriteTimeUtc(path) < cutoff)
                {
                    File.Delete(path);
                    removed++;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Still open on Windows, removed by a concurrent scrub, or not ours to delete: skip it, the scrub
                // must get through the rest of the store.
            }
        }
        return Task.FromResult(removed);
    }

    /// <summary>
    /// Streams <paramref name="content"/> into a new temp file in <paramref name="folder"/>, hashing while writing,
    /// and flushes it to disk. On any failure the temp file is removed before the exception leaves.
    /// </summary>
    private async Task<(string Digest, long Size, string TempPath)> WriteTempFileAsync(
        string folder, Stream content, long? maxSize, CancellationToken cancellationToken)
    {
        var temp = Path.Combine(folder, TempFilePrefix + Guid.NewGuid().ToString("N"));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var current = ArrayPool<byte>.Shared.Rent(BufferSize);
        var next = ArrayPool<byte>.Shared.Rent(BufferSize);
        long size = 0;
        try
        {
            await using (var file = OpenTempFile(temp))
            {
                // Double buffering: while one chunk is hashed and written (here), the next one is read. Bytes keep
                // arriving while the disk write runs, so a put stays close to copy speed even though every byte is also
                // hashed. The write is synchronous on purpose: an asynchronous file write on Unix is the same system
                // call on a pool thread, and that hand-over (once per chunk, so once per small blob) cost more CPU
                // than the call itself. Chunks are filled to the buffer size: a request body arrives in small segments,
                // and a write per segment costs more.
                var read = await content.ReadAtLeastAsync(current.AsMemory(0, BufferSize), BufferSize, throwOnEndOfStream: false, cancellationToken);
                while (read > 0)
                {
                    size += read;
                    if (size > maxSize)
                        throw TooLarge(maxSize.Value);
                    var nextRead = content.ReadAtLeastAsync(next.AsMemory(0, BufferSize), BufferSize, throwOnEndOfStream: false, cancellationToken).AsTask();
                    try
                    {
                        hash.AppendData(current, 0, read);
                        file.Write(current, 0, read);
                    }
                    catch
                    {
                        // Never leave a read in flight on a buffer that goes back to the pool.
                        await ((Task)nextRead).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                        throw;
                    }
                    read = await nextRead;
                    (current, next) = (next, current);
                }
                // The rename must not become visible before the bytes are durable, or a crash could leave a
                // correctly named blob with missing content.
                file.Flush(flushToDisk: true);
            }
            return (ContentDigest.ToHex(hash.GetHashAndReset()), size, temp);
        }
        catch (IOException ex) when (IsDiskFull(ex))
        {
            TryDelete(temp);
            throw StorageFull();
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(current);
            ArrayPool<byte>.Shared.Return(next);
        }
    }

    private static BlobPutResult MoveIntoPlace(string temp, string target, string digest, long size)
    {
        try
        {
            File.Move(temp, target, overwrite: false);
            return new BlobPutResult(digest, size, AlreadyExisted: false);
        }
        catch (IOException) when (File.Exists(target))
        {
            // A concurrent put of the same bytes won the rename; its file is as good as ours.
            TryDelete(temp);
            return new BlobPutResult(digest, size, AlreadyExisted: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static FileStream DefaultOpenTempFile(string path) =>
        // bufferSize 0: we already write 1 MiB chunks, a FileStream buffer would only add a copy.
        new(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.None);

    private static void CreateFolder(string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (IOException ex) when (IsDiskFull(ex))
        {
            // Out of inodes looks the same as out of bytes.
            throw StorageFull();
        }
    }

    private static PortalException StorageFull() =>
        new(507, ErrorCodes.StorageFull, "The blob store is out of disk space; nothing was stored. Try again later or ask an administrator to free space.");

    private static void RejectKnownOversize(Stream content, long? maxSize)
    {
        if (maxSize is { } max && content.CanSeek && content.Length - content.Position > max)
            throw TooLarge(max);
    }

    private static PortalException TooLarge(long maxSize) =>
        new(413, ErrorCodes.BlobTooLarge, $"The blob is larger than the limit of {maxSize:N0} bytes; nothing was stored.",
            new Dictionary<string, object?> { ["maxSize"] = maxSize });

    private static long? TryGetLength(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists ? info.Length : null;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Left for CleanupTempFilesAsync; the original failure is what the caller needs to see.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// ENOSPC/EDQUOT on Unix (.NET puts the errno in HResult), ERROR_DISK_FULL/ERROR_HANDLE_DISK_FULL on Windows.
    /// </summary>
    internal static bool IsDiskFull(IOException exception)
    {
        if (OperatingSystem.IsWindows())
            return exception.HResult is unchecked((int)0x80070070) or unchecked((int)0x80070027);
        const int ENOSPC = 28;
        var edquot = OperatingSystem.IsLinux() ? 122 : 69;
        return exception.HResult == ENOSPC || exception.HResult == edquot;
    }
}
