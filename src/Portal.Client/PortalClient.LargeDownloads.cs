using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Portal.Client;

public sealed partial class PortalClient
{
    /// <summary>Files at least twice this large download in ranges of this size (parallel, resumable).</summary>
    public long DownloadRangeBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>How many ranges of one large file are fetched at once.</summary>
    public int DownloadParallelism { get; init; } = 4;

    /// <summary>
    /// Downloads one file of a version to <paramref name="target"/>, verified against <paramref name="digest"/> before it
    /// takes that name. A large file (at least two <see cref="DownloadRangeBytes"/>) is fetched in ranges,
    /// <see cref="DownloadParallelism"/> at a time, into a partial file next to the target (<c>.portal-&lt;digest
    /// prefix&gt;.partial</c>) with a journal of the ranges it holds; after an interruption the same call fetches only
    /// the ranges that are missing. Bytes that do not hash to the digest are deleted and reported.
    /// </summary>
    /// <returns>Bytes fetched by this call (less than the size when an earlier call had fetched some).</returns>
    /// <exception cref="PortalApiException"><c>digest_mismatch</c> when the bytes are not the file's.</exception>
    public async Task<long> DownloadVersionFileToPathAsync(string slug, Guid versionId, string path, string target, string digest, long size, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(target))!;
        Directory.CreateDirectory(folder);
        var partial = Path.Combine(folder, $".portal-{digest[..Math.Min(16, digest.Length)]}.partial");
        var journal = partial + ".ranges";
        long fetched;
        string actual;
        if (size < 2 * DownloadRangeBytes)
        {
            await using (var output = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
                await DownloadVersionFileAsync(slug, versionId, path, output, progress, ct).ConfigureAwait(false);
            fetched = size;
            actual = await HashRangeAsync(partial, 0, size, ct).ConfigureAwait(false);
        }
        else
        {
            (fetched, actual) = await DownloadRangesAsync(slug, versionId, path, partial, journal, size, progress, ct).ConfigureAwait(false);
        }

        if (actual != digest)
        {
            File.Delete(partial);
            File.Delete(journal);
            throw new PortalApiException(HttpStatusCode.UnprocessableEntity, ErrorCodes.DigestMismatch,
                $"'{path}' arrived with bytes that hash to sha256:{actual}, not sha256:{digest}; nothing was written to {target}. Download it again.");
        }
        File.Move(partial, target, overwrite: true);
        File.Delete(journal);
        return fetched;
    }

    /// <summary>
    /// Fetches the missing ranges in parallel while the ranges in place are hashed in order from the start, so the
    /// hash is done soon after the last byte arrives instead of needing a second pass over the file.
    /// </summary>
    private async Task<(long Fetched, string Sha256)> DownloadRangesAsync(string slug, Guid versionId, string path, string partial, string journal, long size, IProgress<long>? progress, CancellationToken ct)
    {
        var count = (int)((size + DownloadRangeBytes - 1) / DownloadRangeBytes);
        var done = new HashSet<int>();
        if (File.Exists(partial) && new FileInfo(partial).Length == size && File.Exists(journal))
        {
            foreach (var line in await File.ReadAllLinesAsync(journal, ct).ConfigureAwait(false))
            {
                if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < count)
                    done.Add(index);
            }
        }
        else
        {
            using (var file = File.OpenHandle(partial, FileMode.Create, FileAccess.Write))
                RandomAccess.SetLength(file, size);
            await File.WriteAllTextAsync(journal, "", ct).ConfigureAwait(false);
        }
        progress?.Report(done.Sum(RangeLength));

        long fetched = 0;
        using var output = File.OpenHandle(partial, FileMode.Open, FileAccess.Write, FileShare.Read);
        await using var log = new StreamWriter(new FileStream(journal, FileMode.Append, FileAccess.Write, FileShare.Read));
        var gate = new SemaphoreSlim(1, 1);
        var inPlace = new bool[count];
        foreach (var index in done)
            inPlace[index] = true;
        var arrived = new SemaphoreSlim(0);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var hashing = Task.Run(() => HashRangesInOrderAsync(partial, count, DownloadRangeBytes, size, inPlace, arrived, stop.Token), CancellationToken.None);
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, count).Where(i => !done.Contains(i)),
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, DownloadParallelism), CancellationToken = ct }, async (index, token) =>
                {
                    var start = index * DownloadRangeBytes;
                    var length = RangeLength(index);
                    await FetchRangeAsync(slug, versionId, path, output, start, length, progress, token).ConfigureAwait(false);
                    await gate.WaitAsync(token).ConfigureAwait(false);
                    try
                    {
                        // Written after the range's bytes: a range in the journal is on disk (the whole is hashed at the end).
                        await log.WriteLineAsync(index.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
                        await log.FlushAsync(token).ConfigureAwait(false);
                        fetched += length;
                        Volatile.Write(ref inPlace[index], true);
                    }
                    finally
                    {
                        gate.Release();
                    }
                    arrived.Release();
                }).ConfigureAwait(false);
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAny(hashing).ConfigureAwait(false);
            throw;
        }
        return (fetched, await hashing.ConfigureAwait(false));

        long RangeLength(int index) => Math.Min(DownloadRangeBytes, size - (index * DownloadRangeBytes));
    }

    private async Task FetchRangeAsync(string slug, Guid versionId, string path, Microsoft.Win32.SafeHandles.SafeFileHandle output, long start, long length, IProgress<long>? progress, CancellationToken ct)
    {
        using var response = await SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, VersionPath(slug, versionId) + "/file" + Query(("path", path)));
            request.Headers.Range = new RangeHeaderValue(start, start + length - 1);
            return request;
        }, idempotent: true, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.PartialContent)
            throw new PortalApiException(response.StatusCode, ErrorCodes.InternalError, $"The portal did not answer a range request for '{path}' with 206 Partial Content.");
        var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
            try
            {
                var position = start;
                var end = start + length;
                int read;
                while (position < end && (read = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, end - position)), ct).ConfigureAwait(false)) > 0)
                {
                    RandomAccess.Write(output, buffer.AsSpan(0, read), position);
                    position += read;
                    progress?.Report(read);
                }
                if (position != end)
                    throw new PortalApiException(0, PortalApiException.ConnectionFailed, $"The range {start}-{end - 1} of '{path}' ended after {position - start:N0} bytes.");
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Hashes the file range by range from the start, waiting for each range to be in place.</summary>
    private static async Task<string> HashRangesInOrderAsync(string path, int count, long rangeBytes, long size, bool[] inPlace, SemaphoreSlim arrived, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.SequentialScan);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            for (var index = 0; index < count; index++)
            {
                while (!Volatile.Read(ref inPlace[index]))
                    await arrived.WaitAsync(ct).ConfigureAwait(false);
                var position = index * rangeBytes;
                var end = Math.Min(size, position + rangeBytes);
                while (position < end)
                {
                    var read = RandomAccess.Read(file, buffer.AsSpan(0, (int)Math.Min(buffer.Length, end - position)), position);
                    if (read == 0)
                        throw new IOException($"{path} ended at {position:N0} bytes while it was being hashed.");
                    hash.AppendData(buffer, 0, read);
                    position += read;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
