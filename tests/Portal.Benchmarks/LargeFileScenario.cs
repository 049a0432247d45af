using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Portal.Client;
using Portal.Client.Models;

namespace Portal.Benchmarks;

/// <summary>
/// One very large file over loopback (5 GiB, <c>PORTAL_BENCH_LARGE_MIB</c> to change): a single <c>PUT</c> against
/// parallel parts, an upload interrupted at about 60 % and resumed (bytes the resume sends), and a download in
/// parallel ranges against <c>cp</c> and <c>openssl dgst</c> of the same file, all in one run. The portal runs in
/// this process, so the peak resident memory of each case bounds the server's.
/// </summary>
public static class LargeFileScenario
{
    private const string Scenario = "large-file";
    private const long MiB = 1024 * 1024;

    public static async Task RunAsync(BenchContext context)
    {
        var mebibytes = int.TryParse(Environment.GetEnvironmentVariable("PORTAL_BENCH_LARGE_MIB"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var m) && m > 0 ? m : 5120;
        var root = Directory.CreateTempSubdirectory("portal-large-").FullName;
        try
        {
            Console.Error.WriteLine($"generating three files of {mebibytes:N0} MiB");
            var files = new List<(string Path, string Digest)>();
            for (var i = 0; i < 3; i++)
            {
                var path = Path.Combine(root, $"file-{i}.bin");
                files.Add((path, Generate(path, mebibytes * MiB, seed: i)));
            }
            var size = mebibytes * MiB;
            Report("load_at_start", BenchContext.LoadAverage(), "load1");
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            Report("process_rss_at_start", BenchContext.ResidentMegabytes(), "MB");

            var openssl = await TimeProcessAsync("openssl", ["dgst", "-sha256", files[0].Path]);
            if (openssl is { } hashSeconds)
                Report("openssl_dgst_seconds", hashSeconds, "s");

            var slug = context.Team.Project.Slug;
            using var single = Client(context, partThreshold: long.MaxValue);
            BenchContext.ResetPeakMemory();
            var singleSeconds = await TimeAsync(() => single.PutBlobAsync(files[0].Digest, files[0].Path, project: slug));
            Report("single_put_seconds", singleSeconds, "s");
            Report("single_put_mib_per_s", size / MiB / singleSeconds, "MiB/s");
            Report("single_put_process_rss", BenchContext.PeakMemoryMegabytes(), "MB");

            using var parts = Client(context, partThreshold: 1, parallelism: 8);
            BenchContext.ResetPeakMemory();
            var partsSeconds = await TimeAsync(() => parts.PutBlobAsync(files[1].Digest, files[1].Path, project: slug));
            Report("parts_put_seconds", partsSeconds, "s");
            Report("parts_put_mib_per_s", size / MiB / partsSeconds, "MiB/s");
            Report("parts_put_process_rss", BenchContext.PeakMemoryMegabytes(), "MB");
            Report("parts_put_vs_single_put", partsSeconds / singleSeconds, "ratio");
            Console.Error.WriteLine($"   parts_put_vs_single_put: {partsSeconds / singleSeconds:0.00} (goal <= 1); process peak {BenchContext.PeakMemoryMegabytes():0} MB (goal < 300)");

            // Interrupted at about 60 % of the bytes, then the same call again: what does the resume send?
            var sent = 0L;
            using (var interrupt = new CancellationTokenSource())
            {
                var progress = new SyncProgress(bytes =>
                {
                    if (Interlocked.Add(ref sent, bytes) >= size * 6 / 10)
                        interrupt.Cancel();
                });
                try
                {
                    await parts.PutBlobAsync(files[2].Digest, files[2].Path, progress, slug, interrupt.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
            var resumed = 0L;
            var session = await parts.StartUploadSessionAsync(new StartUploadSessionRequest(files[2].Digest, size, slug));
            var held = session.Parts.Sum(p => p.Size);
            var resumeSeconds = await TimeAsync(() => parts.PutBlobAsync(files[2].Digest, files[2].Path, new SyncProgress(b => Interlocked.Add(ref resumed, b)), slug));
            Report("resume_interrupted_at", 100.0 * sent / size, "%");
            Report("resume_held_parts_mib", held / (double)MiB, "MiB");
            Report("resume_sent_mib", (resumed - held) / (double)MiB, "MiB");
            Report("resume_missing_mib", (size - held) / (double)MiB, "MiB");
            Report("resume_seconds", resumeSeconds, "s");

            var created = await single.CreateVersionAsync(slug, "large-file", new CreateVersionRequest("model", Entries: [new ManifestEntryModel("weights.bin", files[0].Digest, size)]));
            var version = (await single.CommitVersionAsync(slug, "large-file", created.VersionId!.Value)).Version;
            foreach (var (name, parallel) in new[] { ("get_one_stream", false), ("get_ranges", true) })
            {
                using var client = Client(context, partThreshold: long.MaxValue, rangeBytes: parallel ? 64 * MiB : long.MaxValue / 4);
                var target = Path.Combine(root, "downloads", name, "weights.bin");
                BenchContext.ResetPeakMemory();
                var seconds = await TimeAsync(() => client.DownloadVersionFileToPathAsync(slug, version.Id, "weights.bin", target, files[0].Digest, size));
                Report($"{name}_seconds", seconds, "s");
                Report($"{name}_process_rss", BenchContext.PeakMemoryMegabytes(), "MB");
                File.Delete(target);
            }
            var copyTarget = Path.Combine(root, "downloads", "cp.bin");
            Directory.CreateDirectory(Path.GetDirectoryName(copyTarget)!);
            var copy = await TimeProcessAsync("cp", [files[0].Path, copyTarget]);
            if (copy is { } copySeconds)
            {
                Report("cp_seconds", copySeconds, "s");
                File.Delete(copyTarget);
            }
            Report("load_at_end", BenchContext.LoadAverage(), "load1");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static PortalClient Client(BenchContext context, long partThreshold, int parallelism = 4, long rangeBytes = 64 * MiB) =>
        new(new Uri(context.BaseUrl), context.Team.Contributor.Token)
        {
            PartUploadThreshold = partThreshold,
            PartParallelism = parallelism,
            DownloadRangeBytes = rangeBytes,
        };

    /// <summary>Writes <paramref name="size"/> bytes that differ per file and per block, and returns their SHA-256.</summary>
    private static string Generate(string path, long size, int seed)
    {
        var block = new byte[64 * MiB];
        new Random(20261204 + seed).NextBytes(block);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 0);
        for (long written = 0, index = 0; written < size; index++)
        {
            BitConverter.TryWriteBytes(block.AsSpan(0, 8), index);
            var length = (int)Math.Min(block.Length, size - written);
            hash.AppendData(block, 0, length);
            file.Write(block, 0, length);
            written += length;
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static async Task<double> TimeAsync<T>(Func<Task<T>> action)
    {
        var watch = Stopwatch.StartNew();
        await action();
        return watch.Elapsed.TotalSeconds;
    }

    private static async Task<double?> TimeProcessAsync(string file, string[] arguments)
    {
        try
        {
            var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in arguments)
                start.ArgumentList.Add(argument);
            var watch = Stopwatch.StartNew();
            using var process = Process.Start(start)!;
            await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            return process.ExitCode == 0 ? watch.Elapsed.TotalSeconds : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine($"{file} is missing; its figure is skipped");
            return null;
        }
    }

    private static void Report(string figure, double? value, string unit)
    {
        if (value is { } v)
            BenchContext.Report(Scenario, figure, v, unit);
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool, after the interruption).</summary>
    private sealed class SyncProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
