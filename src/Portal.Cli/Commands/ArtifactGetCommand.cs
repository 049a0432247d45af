using System.Collections.Concurrent;
using System.CommandLine;
using System.Security.Cryptography;
using Portal.Client;
using Portal.Client.Models;

namespace Portal.Cli.Commands;

/// <summary>
/// <c>portal artifact get NAME[:ALIAS|:vN] -o DIR</c>: downloads the files of a version that DIR does not already
/// hold byte for byte. Every download is hashed while it is written to a temporary file and only renamed into place
/// when its digest matches; no path may lead outside DIR, not even through a symbolic link inside it.
/// </summary>
internal static class ArtifactGetCommand
{
    public static Command Create(CliContext cli)
    {
        var spec = new Argument<string>("version") { Description = "name, name:alias, name:vN or name:digest (default alias: latest)." };
        var project = CommonOptions.Project();
        var output = new Option<string>("--output", "-o") { Description = "Folder to write into (created if needed).", Required = true };
        var jobs = new Option<int>("--jobs") { Description = "Downloads in flight at once.", DefaultValueFactory = _ => 8 };
        var noCache = new Option<bool>("--no-cache") { Description = "Neither read nor fill the local content cache (~/.cache/portal/blobs)." };
        var delete = new Option<bool>("--delete")
        {
            Description = "Make the folder an exact copy of the version: remove files (and links) in it that the version does not hold, "
                + "and folders that leaves empty. Nothing outside the folder, and no link, is followed.",
        };
        var json = CommonOptions.Json();
        var command = new Command("get", "Download a version into a folder, fetching only what differs.") { spec, project, output, jobs, noCache, delete, json };
        command.SetAction(async (parse, ct) =>
        {
            var slug = cli.Project(parse.GetValue(project));
            var root = Path.GetFullPath(parse.GetRequiredValue(output), cli.WorkingDirectory);
            var parallel = Math.Clamp(parse.GetValue(jobs), 1, 64);
            using var client = cli.CreateClient();
            var version = await client.ResolveVersionAsync(slug, parse.GetRequiredValue(spec), ct);
            var label = ArtifactCommand.Label(version);
            // Recorded even when every file is already up to date: the run read this version all the same.
            await client.RecordUseAsync(slug, version.Id, ct);

            var listed = await ListAsync(client, new ManifestCache(cli.CacheFolder), slug, version, parallel, ct);
            var references = listed.Count(f => f.Ref is not null);
            var files = listed.Where(f => f.Ref is null).ToList();
            // Check every path before writing anything, so a hostile or broken manifest leaves DIR untouched.
            var folder = new OutputFolder(root);
            var targets = new (VersionFileItem Item, string Target, FileInfo? Existing)[files.Count];
            var refused = new ConcurrentQueue<(string Path, CliException Error)>();
            Parallel.For(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct }, i =>
            {
                try
                {
                    var (target, existing) = folder.Resolve(files[i].Path);
                    targets[i] = (files[i], target, existing);
                }
                catch (CliException ex)
                {
                    refused.Enqueue((files[i].Path, ex));
                }
            });
            if (refused.Count == 1)
                throw refused.Single().Error;
            if (!refused.IsEmpty)
                throw new CliException(PathList.Format($"refusing to write {refused.Count} paths of {label}; nothing was written:", refused.OrderBy(r => r.Path, StringComparer.Ordinal).Select(r => r.Error.Message).ToList()));
            var caseInsensitive = folder.IsCaseInsensitive();
            if (caseInsensitive && OutputFolder.CaseCollisions(listed.Select(f => f.Path)) is { Count: > 0 } collisions)
            {
                throw new CliException(PathList.Format(
                    $"{root} is on a file system that does not tell upper from lower case, where these paths of {label} would be one file or folder; nothing was written:",
                    collisions));
            }

            Directory.CreateDirectory(root);

            // The version's references count as held: a file put there by hand is what the reference names.
            var comparer = caseInsensitive ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
            var held = listed.Select(f => f.Path).ToHashSet(comparer);
            var (deleted, deletedFolders) = (0, 0);
            if (parse.GetValue(delete) && folder.InTheWay(folder.FindStrays(held), held, comparer) is { Count: > 0 } inTheWay)
                (deleted, deletedFolders) = folder.DeleteStrays(inTheWay);

            var cache = DigestCache.Open(cli.CacheFolder, [root]);
            var content = parse.GetValue(noCache) ? null : new ContentCache(cli.CacheFolder);
            var failures = new ConcurrentQueue<string>();
            var copied = 0;
            var (downloaded, downloadedBytes, upToDate) = await ProgressDisplay.RunAsync(cli, async display =>
            {
                var check = display.Step("checking", targets.Length, targets.Sum(t => t.Item.Size ?? 0));
                var needed = new ConcurrentBag<(VersionFileItem Item, string Target)>();
                Parallel.ForEach(targets, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct }, t =>
                {
                    if (!IsUpToDate(t.Existing, t.Item, cache))
                        needed.Add((t.Item, t.Target));
                    check.Advance(t.Item.Size ?? 0);
                    check.FileDone();
                });
                check.Complete();

                var todo = needed.OrderBy(t => t.Item.Path, StringComparer.Ordinal).ToList();
                var step = display.Step("downloading", todo.Count, todo.Sum(t => t.Item.Size ?? 0));
                var progress = new Progress<long>(step.Advance);
                long bytes = 0;
                var count = 0;
                // What the content cache holds is copied; small files come many to a request (one tar of verified
                // blobs); large ones one by one, in ranges.
                var fetch = new List<(VersionFileItem Item, string Target)>();
                foreach (var t in todo)
                {
                    if (content is not null && CopyFromCache(content, t.Item, t.Target, cache))
                    {
                        copied++;
                        step.Advance(t.Item.Size ?? 0);
                        step.FileDone();
                    }
                    else
                    {
                        fetch.Add((t.Item, t.Target));
                    }
                }
                var batched = fetch.Where(t => t.Item.Digest is not null && t.Item.Size <= BatchedFileBytes).ToList();
                var single = fetch.Where(t => !(t.Item.Digest is not null && t.Item.Size <= BatchedFileBytes)).ToList();
                await Parallel.ForEachAsync(Batches(batched), new ParallelOptions { MaxDegreeOfParallelism = Math.Min(parallel, 4), CancellationToken = ct }, async (batch, token) =>
                {
                    var (written, writtenBytes, leftOver) = await DownloadBatchAsync(client, slug, batch, cache, content, step, failures, token);
                    Interlocked.Add(ref bytes, writtenBytes);
                    Interlocked.Add(ref count, written);
                    lock (single)
                        single.AddRange(leftOver);
                });
                await Parallel.ForEachAsync(single, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct }, async (t, token) =>
                {
                    var error = await DownloadAsync(client, slug, version.Id, t.Item, t.Target, cache, content, cli.IsTerminal ? progress : null, token);
                    if (error is null)
                    {
                        Interlocked.Add(ref bytes, t.Item.Size ?? 0);
                        Interlocked.Increment(ref count);
                    }
                    else
                    {
                        failures.Enqueue(error);
                    }

                    step.FileDone();
                });
                step.Complete();
                return (count, bytes, targets.Length - todo.Count);
            });
            cache.Save();

            if (!failures.IsEmpty)
            {
                var sorted = failures.Order(StringComparer.Ordinal).ToList();
                cli.WriteError(CliErrorCodes.DownloadFailed, $"{sorted.Count} file(s) not written: " + string.Join("; ", sorted), sorted.Select(f => $"error: {f}"));
            }

            // The rest of the strays go only once every file of the version is in place.
            var strays = folder.FindStrays(held);
            if (strays.Count > 0 && parse.GetValue(delete))
            {
                if (failures.IsEmpty)
                {
                    var (removedFiles, removedFolders) = folder.DeleteStrays(strays);
                    (deleted, deletedFolders) = (deleted + removedFiles, deletedFolders + removedFolders);
                }
                else
                {
                    cli.Info($"{Files(strays.Count)} in {root} that {(strays.Count == 1 ? "is" : "are")} not in this version {(strays.Count == 1 ? "was" : "were")} kept, because some files failed to download");
                }
            }
            else if (strays.Count > 0)
            {
                cli.Info($"{Files(strays.Count)} in {root} {(strays.Count == 1 ? "is" : "are")} not in this version (use --delete to remove {(strays.Count == 1 ? "it" : "them")})");
            }

            if (parse.GetValue(json))
            {
                cli.WriteJson(new
                {
                    Version = label,
                    VersionId = version.Id,
                    Output = root,
                    Downloaded = downloaded,
                    DownloadedBytes = downloadedBytes,
                    FromCache = copied,
                    UpToDate = upToDate,
                    SkippedReferences = references,
                    Failed = failures.Count,
                    NotInVersion = parse.GetValue(delete) && failures.IsEmpty ? 0 : strays.Count,
                    Deleted = deleted,
                });
            }
            else
            {
                cli.Stdout.WriteLine($"{label} -> {root}: {downloaded} downloaded ({downloadedBytes} bytes), {copied} from cache, {upToDate} already up to date"
                    + (references > 0 ? $", {references} references skipped" : "")
                    + (deleted > 0 ? $", {deleted} deleted" + (deletedFolders > 0 ? $" ({deletedFolders} emptied folders removed)" : "") : "")
                    + (failures.IsEmpty ? "" : $", {failures.Count} failed"));
            }

            return failures.IsEmpty ? PortalCli.ExitSuccess : PortalCli.ExitFailure;
        });
        return command;
    }

    private static string Files(int count) => count == 1 ? "1 file" : $"{count} files";

    /// <summary>
    /// The files of <paramref name="version"/>: from the manifest cache when this machine put or got that manifest
    /// before (the entries must hash to the version's manifest digest, so they are exactly the portal's list),
    /// else listed by the portal and remembered for the next get.
    /// </summary>
    private static async Task<IReadOnlyList<VersionFileItem>> ListAsync(
        PortalClient client, ManifestCache manifests, string slug, ArtifactVersionResponse version, int parallel, CancellationToken ct)
    {
        if (manifests.TryLoadVerified(version.ManifestDigest) is { } known)
            return known.Select(e => new VersionFileItem("file", e.Path, e.Path[(e.Path.LastIndexOf('/') + 1)..], e.Digest, e.Size, e.Ref)).ToList();

        var listed = await client.ListAllVersionFilesAsync(slug, version.Id, parallel, ct);
        if (listed.All(f => f.Digest is not null && f.Size is not null))
            manifests.Save(version.ManifestDigest, listed.Select(f => new ManifestEntryModel(f.Path, f.Digest!, f.Size!.Value, f.Ref)));
        return listed;
    }

    /// <summary>The local path for a manifest path, or an error when it would land outside <paramref name="root"/>.</summary>
    internal static string SafeTarget(string root, string manifestPath) => new OutputFolder(root).Resolve(manifestPath).Target;

    private static bool IsUpToDate(FileInfo? file, VersionFileItem item, DigestCache cache)
    {
        if (file is null || file.Length != item.Size)
            return false;
        try
        {
            var identity = FileIdentity.Of(file);
            var digest = cache.TryGet(file.FullName, identity);
            if (digest is null)
            {
                var hashedAt = DateTime.UtcNow;
                digest = TreeHasher.HashFile(file.FullName);
                cache.Set(file.FullName, identity, digest, hashedAt);
            }

            return string.Equals(digest, item.Digest, StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false; // unreadable: try to replace it, and report if that fails too
        }
    }

    /// <summary>Fills the target from the content cache (verified while copying) through a temporary file.</summary>
    private static bool CopyFromCache(ContentCache content, VersionFileItem item, string target, DigestCache cache)
    {
        var folder = Path.GetDirectoryName(target)!;
        var temp = OutputFolder.TempPath(folder);
        try
        {
            Directory.CreateDirectory(folder);
            if (item.Digest is null || !content.TryCopyTo(item.Digest, temp))
                return false;
            var hashedAt = DateTime.UtcNow;
            File.Move(temp, target, overwrite: true);
            cache.Set(target, FileIdentity.Of(new FileInfo(target)), item.Digest, hashedAt);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false; // the download path reports the problem if it persists
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }

    /// <summary>Files up to this size are fetched many to a request; larger ones each with its own.</summary>
    private const long BatchedFileBytes = 4L * 1024 * 1024;

    /// <summary>Groups of small files for one batch request: at most 2,000 blobs or 64 MiB.</summary>
    private static IEnumerable<List<(VersionFileItem Item, string Target)>> Batches(List<(VersionFileItem Item, string Target)> files)
    {
        var batch = new List<(VersionFileItem Item, string Target)>();
        var digests = new HashSet<string>(StringComparer.Ordinal);
        long size = 0;
        foreach (var file in files)
        {
            if (digests.Add(file.Item.Digest!))
                size += file.Item.Size ?? 0;
            batch.Add(file);
            if (digests.Count >= 2000 || size >= 64L * 1024 * 1024)
            {
                yield return batch;
                (batch, size) = ([], 0);
                digests.Clear();
            }
        }
        if (batch.Count > 0)
            yield return batch;
    }

    /// <summary>
    /// Fetches a batch of small files in one request; each blob is verified while it is written to a temporary file
    /// and then takes the name of every file that has its digest. Returns what was written and the files to fetch one by
    /// one instead (the connection broke before they arrived); files the portal could not send are failures.
    /// </summary>
    private static async Task<(int Files, long Bytes, List<(VersionFileItem Item, string Target)> LeftOver)> DownloadBatchAsync(
        PortalClient client, string slug, List<(VersionFileItem Item, string Target)> batch, DigestCache cache, ContentCache? content,
        ProgressStep step, System.Collections.Concurrent.ConcurrentQueue<string> failures, CancellationToken ct)
    {
        var byDigest = batch.GroupBy(t => t.Item.Digest!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var delivered = new HashSet<string>(StringComparer.Ordinal);
        var files = 0;
        long bytes = 0;
        IReadOnlyDictionary<string, BlobBatchError> errors;
        try
        {
            errors = await client.DownloadBlobBatchAsync(slug, [.. byDigest.Keys], async (digest, data, token) =>
            {
                if (!byDigest.TryGetValue(digest, out var targets))
                    return;
                delivered.Add(digest);
                var first = targets[0];
                var folder = Path.GetDirectoryName(first.Target)!;
                Directory.CreateDirectory(folder);
                var temp = OutputFolder.TempPath(folder);
                try
                {
                    string actual;
                    long size;
                    await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                    await using (var hashing = new HashingWriteStream(file))
                    {
                        await data.CopyToAsync(hashing, token);
                        actual = hashing.Digest();
                        size = file.Length;
                    }
                    if (actual != digest || size != first.Item.Size)
                    {
                        foreach (var (item, _) in targets)
                            failures.Enqueue($"digest mismatch for {item.Path}: expected sha256:{digest} ({item.Size} bytes), received sha256:{actual} ({size} bytes); not written");
                        return;
                    }
                    content?.Add(digest, temp);
                    var hashedAt = DateTime.UtcNow;
                    // Every other file with these bytes gets a copy; the first takes the verified file itself.
                    foreach (var (item, target) in targets.Skip(1).Append(first))
                    {
                        string? copy = null;
                        try
                        {
                            var source = temp;
                            if (!ReferenceEquals(item, first.Item))
                            {
                                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                                copy = OutputFolder.TempPath(Path.GetDirectoryName(target)!);
                                File.Copy(temp, copy);
                                source = copy;
                            }
                            File.Move(source, target, overwrite: true);
                            cache.Set(target, FileIdentity.Of(new FileInfo(target)), digest, hashedAt);
                            files++;
                            bytes += size;
                        }
                        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                        {
                            failures.Enqueue($"{item.Path}: {ex.Message}; not written");
                        }
                        finally
                        {
                            if (copy is not null && File.Exists(copy))
                                File.Delete(copy);
                        }
                        step.Advance(size);
                        step.FileDone();
                    }
                }
                finally
                {
                    if (File.Exists(temp))
                        File.Delete(temp);
                }
            }, ct);
        }
        catch (Exception ex) when (ex is PortalApiException or HttpRequestException or IOException && !ct.IsCancellationRequested)
        {
            // The connection broke: what did not arrive is fetched file by file (which retries).
            return (files, bytes, [.. byDigest.Where(d => !delivered.Contains(d.Key)).SelectMany(d => d.Value)]);
        }

        foreach (var (digest, error) in errors)
        {
            foreach (var (item, _) in byDigest.GetValueOrDefault(digest) ?? [])
            {
                failures.Enqueue($"{item.Path}: {error.Message} ({error.Code}); not written");
                step.FileDone();
            }
        }
        return (files, bytes, []);
    }

    /// <summary>Downloads into a temporary file next to the target; returns an error message, or null on success.</summary>
    private static async Task<string?> DownloadAsync(
        PortalClient client, string slug, Guid versionId, VersionFileItem item, string target, DigestCache cache, ContentCache? content,
        IProgress<long>? progress, CancellationToken ct)
    {
        var folder = Path.GetDirectoryName(target)!;
        if (item.Size is { } large && item.Digest is { } digestOfLarge && large >= 2 * client.DownloadRangeBytes)
            return await DownloadLargeAsync(client, slug, versionId, item, digestOfLarge, large, target, cache, content, progress, ct);
        var temp = OutputFolder.TempPath(folder);
        try
        {
            Directory.CreateDirectory(folder);
            string digest;
            long size;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            await using (var hashing = new HashingWriteStream(file))
            {
                await client.DownloadVersionFileAsync(slug, versionId, item.Path, hashing, progress, ct);
                digest = hashing.Digest();
                size = file.Length;
            }

            if (!string.Equals(digest, item.Digest, StringComparison.Ordinal) || size != item.Size)
            {
                return $"digest mismatch for {item.Path}: expected sha256:{item.Digest} ({item.Size} bytes), received sha256:{digest} ({size} bytes); not written";
            }

            content?.Add(digest, temp);
            var hashedAt = DateTime.UtcNow;
            File.Move(temp, target, overwrite: true);
            cache.Set(target, FileIdentity.Of(new FileInfo(target)), digest, hashedAt);
            return null;
        }
        catch (PortalApiException ex)
        {
            return $"{item.Path}: {ex.Detail} ({ex.Code}); not written";
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or UnauthorizedAccessException)
        {
            return $"{item.Path}: {ex.Message}; not written";
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }

    /// <summary>
    /// A large file in parallel ranges through a partial file the SDK keeps next to the target (with a journal of the
    /// ranges it holds), so a get that was interrupted continues where it stopped instead of starting again.
    /// </summary>
    private static async Task<string?> DownloadLargeAsync(
        PortalClient client, string slug, Guid versionId, VersionFileItem item, string digest, long size, string target, DigestCache cache, ContentCache? content,
        IProgress<long>? progress, CancellationToken ct)
    {
        try
        {
            await client.DownloadVersionFileToPathAsync(slug, versionId, item.Path, target, digest, size, progress, ct);
            // Verified by the SDK before the file took its name.
            var hashedAt = DateTime.UtcNow;
            content?.Add(digest, target);
            cache.Set(target, FileIdentity.Of(new FileInfo(target)), digest, hashedAt);
            return null;
        }
        catch (PortalApiException ex)
        {
            return $"{item.Path}: {ex.Detail} ({ex.Code}); not written";
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or UnauthorizedAccessException)
        {
            return $"{item.Path}: {ex.Message}; not written (run get again to continue it)";
        }
    }

    /// <summary>Hashes what is written through it, so a download is verified without reading the file back.</summary>
    private sealed class HashingWriteStream(Stream inner) : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public string Digest() => Convert.ToHexStringLower(_hash.GetHashAndReset());

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            _hash.AppendData(buffer, offset, count);
            inner.Write(buffer, offset, count);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _hash.AppendData(buffer.Span);
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                _hash.Dispose();
            base.Dispose(disposing);
        }
    }
}
