using System.CommandLine;
using System.Diagnostics;
using Portal.Client;
using Portal.Client.Manifests;
using Portal.Client.Models;

namespace Portal.Cli.Commands;

/// <summary>
/// <c>portal artifact put DIR|FILE… -p P -n NAME -t TYPE</c>: hashes the files (in parallel, skipping unchanged ones
/// via the digest cache), sends the manifest, uploads only the blobs the server lacks, several at a time, and
/// commits. Prints <c>name:vN</c>, or that nothing changed.
/// </summary>
internal static class ArtifactPutCommand
{
    public static Command Create(CliContext cli)
    {
        var paths = new Argument<string[]>("paths") { Description = "Folders (their contents, relative paths kept) and files (by file name).", Arity = ArgumentArity.ZeroOrMore };
        var project = CommonOptions.Project();
        var name = new Option<string>("--name", "-n") { Description = "Artifact name.", Required = true };
        var type = new Option<string>("--type", "-t") { Description = "Artifact type, e.g. dataset, model, index.", Required = true };
        var aliases = new Option<string[]>("--alias", "-a") { Description = "Alias to point at the new version (repeatable)." };
        var meta = new Option<string[]>("--meta") { Description = "Metadata as key=value or @file.json (repeatable)." };
        // -m is a message in every portal command (as in git commit -m); for a version that is its description.
        var description = new Option<string>("--message", "-m", "--description", "-d") { Description = "Markdown description of the version." };
        var run = new Option<string>("--run") { Description = "Run that produced the version (default: PORTAL_RUN_ID)." };
        var references = new Option<string[]>("--ref")
        {
            Description = "Reference entry [PATH=]URI (repeatable): recorded with its SHA-256, bytes not uploaded. file:// and "
                + "http(s):// are hashed here; other schemes need URI#sha256=HEX&size=BYTES.",
        };
        var jobs = new Option<int>("--jobs") { Description = "Uploads in flight at once.", DefaultValueFactory = _ => 8 };
        var links = new Option<string>("--links")
        {
            Description = "Symbolic links in folders: follow (upload what they point at, the default), skip (leave them out) or "
                + "error (refuse the put). Links to nowhere and loops are skipped with a warning.",
            DefaultValueFactory = _ => "follow",
        };
        links.AcceptOnlyFromAmong("follow", "skip", "error");
        var strict = new Option<bool>("--strict") { Description = "Fail, creating no version, when anything would be skipped (a link to nowhere, a loop)." };
        var json = CommonOptions.Json();
        var command = new Command("put", "Upload files as a new artifact version.")
        {
            paths, project, name, type, aliases, meta, description, run, references, jobs, links, strict, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            var slug = cli.Project(parse.GetValue(project));
            var artifact = parse.GetRequiredValue(name);
            var options = new NewVersionOptions(
                parse.GetRequiredValue(type), parse.GetValue(description), CliJson.ParseKeyValues(parse.GetValue(meta), "--meta"),
                parse.GetValue(aliases), cli.Run(parse.GetValue(run)));
            var parallel = Math.Clamp(parse.GetValue(jobs), 1, 64);
            var given = parse.GetRequiredValue(paths).Select(p => Path.GetFullPath(p, cli.WorkingDirectory)).ToList();
            var referenceValues = parse.GetValue(references) ?? [];
            var tree = LocalTree.Collect(given, cli.WorkingDirectory, Enum.Parse<LinkPolicy>(parse.GetRequiredValue(links), ignoreCase: true), allowEmpty: referenceValues.Length > 0);
            CheckPaths(tree.Files);
            var skips = tree.Skipped.Select(s => $"{s.LocalPath}: {s.Reason}").ToList();
            if (skips.Count > 0 && parse.GetValue(strict))
                throw new CliException(PathList.Format($"--strict: {skips.Count} {(skips.Count == 1 ? "entry" : "entries")} would be skipped, so no version was created:", skips));
            foreach (var skip in skips)
                cli.Stderr.WriteLine($"warning: skipped {skip}");
            var files = tree.Files;
            using var client = cli.CreateClient();
            var stopwatch = Stopwatch.StartNew();

            var outcome = await ProgressDisplay.RunAsync(cli, async display =>
            {
                var cache = DigestCache.Open(cli.CacheFolder, given);
                var (hashed, fromCache) = TreeHasher.Hash(files, cache, display.Step("hashing", files.Count, files.Sum(f => SizeOrZero(f.File))), ct);
                var present = files.Select(f => f.File.FullName).ToHashSet(StringComparer.Ordinal);
                foreach (var folder in given.Where(Directory.Exists))
                    cache.Prune(folder, present);
                cache.Save();
                var hashSeconds = stopwatch.Elapsed.TotalSeconds;

                var referenced = await ReferenceEntries.ResolveAsync(referenceValues, display, ct);
                var clash = referenced.Select(r => r.Path).Intersect(hashed.Select(f => f.ManifestPath), StringComparer.Ordinal).FirstOrDefault();
                if (clash is not null)
                    throw CliException.Usage($"{clash} is both a local file and a --ref; give the reference another path with PATH=URI.");
                var entries = hashed.Select(f => new ManifestEntryModel(f.ManifestPath, f.Digest, f.Size)).Concat(referenced).ToList();

                // The manifest digest is computed here exactly as the portal computes it: when it equals latest's, the
                // tree is unchanged and the manifest is not even sent (the portal would answer "unchanged" anyway).
                var localDigest = TryComputeDigest(entries);
                var latest = await TryGetLatestAsync(client, slug, artifact, ct);
                var sameType = latest is not null && latest.ArtifactType == options.Type;
                if (sameType && localDigest is not null && latest!.ManifestDigest == localDigest)
                    return new PutOutcome(CreateVersionStatus.Unchanged, latest, hashed.Count, fromCache, hashSeconds, 0, 0, Sent: "nothing");

                var manifests = new ManifestCache(cli.CacheFolder);
                var (created, sent) = (default(CreateVersionResponse), "manifest");
                if (sameType && localDigest is not null && manifests.TryLoad(latest!.ManifestDigest) is { } previous)
                {
                    var (upserts, deletes) = ManifestCache.Changes(previous, entries);
                    if (upserts.Count + deletes.Count <= Math.Max(MaxPatchChanges / 100, Math.Min(MaxPatchChanges, entries.Count / 2)))
                    {
                        created = await client.CreateVersionAsync(slug, artifact, new CreateVersionRequest(
                            options.Type, options.Description, options.Metadata, options.Aliases, options.RunId,
                            Base: latest.Id.ToString(), Upserts: upserts, Deletes: deletes), ct);
                        sent = "patch";
                        if (created.ManifestDigest != localDigest)
                        {
                            // The cached manifest did not describe latest after all: start over with the whole manifest.
                            if (created.Status == CreateVersionStatus.Pending && created.VersionId is { } wrong)
                                await AbortQuietlyAsync(client, slug, artifact, wrong);
                            (created, sent) = (null, "manifest");
                        }
                    }
                }
                created ??= await client.CreateVersionFromManifestAsync(slug, artifact, options, entries, ct);
                if (created.Status != CreateVersionStatus.Pending)
                {
                    manifests.Save(created.ManifestDigest, entries);
                    return new PutOutcome(created.Status, created.Version, hashed.Count, fromCache, hashSeconds, 0, 0, sent);
                }

                var versionId = created.VersionId ?? throw new CliException("the portal created a pending version without an id.");
                try
                {
                    var (count, bytes, committed) = await UploadAndCommitAsync(client, cli, slug, artifact, versionId, created, hashed, parallel, display, ct);
                    manifests.Save(created.ManifestDigest, entries);
                    return new PutOutcome(committed.Status, committed.Version, hashed.Count, fromCache, hashSeconds, count, bytes, sent);
                }
                catch (Exception)
                {
                    await AbortQuietlyAsync(client, slug, artifact, versionId);
                    throw;
                }
            });

            var label = outcome.Version is null ? artifact : ArtifactCommand.Label(outcome.Version);
            cli.Info($"{outcome.Files} files ({outcome.FromCache} digests from cache) hashed in {outcome.HashSeconds:0.00} s; uploaded {outcome.UploadedBlobs} blobs ({outcome.UploadedBytes} bytes) in {stopwatch.Elapsed.TotalSeconds:0.00} s total"
                + (skips.Count > 0 ? $"; {skips.Count} skipped (named above)" : "")
                + (tree.LinksLeftOut > 0 ? $"; {tree.LinksLeftOut} symbolic links left out (--links skip)" : ""));
            if (parse.GetValue(json))
            {
                cli.WriteJson(new
                {
                    outcome.Status,
                    Version = outcome.Version is null ? null : label,
                    VersionId = outcome.Version?.Id,
                    outcome.Version?.ManifestDigest,
                    outcome.Files,
                    outcome.FromCache,
                    outcome.UploadedBlobs,
                    outcome.UploadedBytes,
                    outcome.Sent,
                    Skipped = skips.Count,
                    LinksLeftOut = tree.LinksLeftOut,
                });
            }
            else if (outcome.Status == CreateVersionStatus.Committed)
            {
                cli.Stdout.WriteLine(label);
            }
            else
            {
                cli.Stdout.WriteLine($"no new version: {label} has the same content");
            }

            return PortalCli.ExitSuccess;
        });
        return command;
    }

    /// <summary>Uploads the blobs the server lacks, several at a time, then commits the pending version.</summary>
    private static async Task<(int Count, long Bytes, CommitVersionResponse Committed)> UploadAndCommitAsync(
        PortalClient client, CliContext cli, string slug, string artifact, Guid versionId, CreateVersionResponse created,
        IReadOnlyList<HashedFile> hashed, int parallel, ProgressDisplay display, CancellationToken ct)
    {
        IReadOnlyList<string> missing = created.MissingDigestsTruncated
            ? await client.FindMissingBlobsAsync(hashed.Select(f => f.Digest), slug, ct)
            : created.MissingDigests;
        var byDigest = hashed.GroupBy(f => f.Digest, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var uploads = missing
            .Select(d => byDigest.TryGetValue(d, out var f) ? f : throw new CliException($"the portal asked for blob {d}, which is not in this manifest."))
            .ToList();

        var step = display.Step("uploading", uploads.Count, uploads.Sum(u => u.Size));
        var progress = new Progress<long>(step.Advance);
        await Parallel.ForEachAsync(UploadUnits(uploads), new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct }, async (unit, token) =>
        {
            if (unit.Count == 1)
            {
                await client.PutBlobAsync(unit[0].Digest, unit[0].File.FullName, cli.IsTerminal ? progress : null, slug, token);
            }
            else
            {
                await client.PutBlobBatchAsync(unit.Select(f => new BlobFile(f.Digest, f.File.FullName, f.Size)).ToList(), cli.IsTerminal ? progress : null, slug, token);
            }
            for (var i = 0; i < unit.Count; i++)
                step.FileDone();
        });
        step.Complete();

        var committed = await client.CommitVersionAsync(slug, artifact, versionId, ct);
        return (uploads.Count, uploads.Sum(u => u.Size), committed);
    }

    /// <summary>Above this many changed entries a put sends the whole manifest rather than a patch.</summary>
    private const int MaxPatchChanges = 50_000;

    /// <summary>The manifest digest the portal will compute, or null when the portal must judge (duplicate paths).</summary>
    private static string? TryComputeDigest(IReadOnlyList<ManifestEntryModel> entries)
    {
        try
        {
            return ManifestAlgorithm.ComputeManifestDigest(entries);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static async Task<ArtifactVersionResponse?> TryGetLatestAsync(PortalClient client, string slug, string artifact, CancellationToken ct)
    {
        try
        {
            return await client.ResolveVersionAsync(slug, artifact + ":latest", ct);
        }
        catch (PortalApiException ex) when (ex.Status == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>
    /// Files under this size travel in batch uploads (one tar request for many), larger ones alone. Each request costs
    /// the portal a fixed amount of work (authentication, the uploader check, recording the blobs) that one 1 MiB file
    /// does not amortise: 1,000 such files as single uploads spent about 15 ms of server CPU each, mostly outside
    /// hashing and writing.
    /// </summary>
    internal const long BatchFileLimit = 4 * 1024 * 1024;

    private const int BatchMaxFiles = 1_000;
    private const long BatchMaxBytes = 16 * 1024 * 1024;

    /// <summary>
    /// Groups the uploads: each small file joins a batch (up to <see cref="BatchMaxFiles"/> files or
    /// <see cref="BatchMaxBytes"/>), each large file is a unit of its own. Large files go first so the long transfers
    /// start early.
    /// </summary>
    internal static IEnumerable<IReadOnlyList<HashedFile>> UploadUnits(IReadOnlyList<HashedFile> uploads)
    {
        foreach (var large in uploads.Where(u => u.Size >= BatchFileLimit).OrderByDescending(u => u.Size))
            yield return [large];
        var batch = new List<HashedFile>();
        long bytes = 0;
        foreach (var small in uploads.Where(u => u.Size < BatchFileLimit))
        {
            if (batch.Count == BatchMaxFiles || (batch.Count > 0 && bytes + small.Size > BatchMaxBytes))
            {
                yield return batch;
                batch = [];
                bytes = 0;
            }
            batch.Add(small);
            bytes += small.Size;
        }
        if (batch.Count > 0)
            yield return batch;
    }

    /// <summary>
    /// A failed or cancelled put leaves no pending version behind; the expiry job would remove it later, but until then
    /// it shows up in the admin view as unfinished work. The original error is the one worth reporting.
    /// </summary>
    private static async Task AbortQuietlyAsync(PortalClient client, string slug, string artifact, Guid versionId)
    {
        // After Ctrl+C or SIGTERM the command's token is cancelled; the abort gets a few seconds of its own, so an
        // interrupted put cleans up without hanging on a portal that does not answer.
        using var timeout = new CancellationTokenSource(AbortTimeout);
        try
        {
            await client.AbortVersionAsync(slug, artifact, versionId, timeout.Token);
        }
        catch (Exception ex) when (ex is PortalApiException or OperationCanceledException)
        {
            // Already committed by a concurrent put, already expired, or the server is gone: nothing to clean.
        }
    }

    private static readonly TimeSpan AbortTimeout = TimeSpan.FromSeconds(10);

    /// <summary>For the progress total only; a file that cannot be read is reported by the hasher with its path.</summary>
    private static long SizeOrZero(FileInfo file)
    {
        try
        {
            return file.Length;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private sealed record PutOutcome(string Status, ArtifactVersionResponse? Version, int Files, int FromCache, double HashSeconds, int UploadedBlobs, long UploadedBytes, string Sent);

    /// <summary>
    /// Checks every manifest path against the portal's rules before anything is sent, so one run names every file to
    /// rename (the portal itself stops at the first).
    /// </summary>
    internal static void CheckPaths(IReadOnlyList<LocalFile> files)
    {
        var invalid = files
            .Select(f => (File: f, Violation: ManifestPathRules.FindViolation(f.ManifestPath)))
            .Where(v => v.Violation is not null)
            .OrderBy(v => v.File.ManifestPath, StringComparer.Ordinal)
            .Select(v => $"{ManifestPathRules.Display(v.File.ManifestPath)}: {v.Violation!.Message}")
            .ToList();
        if (invalid.Count > 0)
        {
            throw new CliException(PathList.Format(
                $"{invalid.Count} {(invalid.Count == 1 ? "path breaks" : "paths break")} the portal's path rules; rename {(invalid.Count == 1 ? "it" : "them")} and put again:", invalid));
        }
    }
}
