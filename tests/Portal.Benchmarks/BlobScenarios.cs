using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Portal.Benchmarks;

public static class BlobScenarios
{
    /// <summary>
    /// PUT of a 1 GiB blob over loopback against <c>cp</c> of the same file on the same disk, both made durable
    /// (cp followed by sync; the store flushes before its rename). Target: at least half of cp's throughput.
    /// </summary>
    public static async Task Upload1GiBAsync(BenchContext context)
    {
        const long size = 1L << 30;
        var folder = Path.Combine(Path.GetDirectoryName(context.App.StorageRoot)!, "bench-blob");
        Directory.CreateDirectory(folder);
        var source = Path.Combine(folder, "source.bin");
        try
        {
            string digest;
            await using (var file = File.Create(source))
            using (var sha = SHA256.Create())
            {
                var block = new byte[4 << 20];
                for (long written = 0; written < size; written += block.Length)
                {
                    RandomNumberGenerator.Fill(block);
                    sha.TransformBlock(block, 0, block.Length, null, 0);
                    await file.WriteAsync(block);
                }

                sha.TransformFinalBlock([], 0, 0);
                digest = Convert.ToHexStringLower(sha.Hash!);
            }

            // Both read the source from the page cache.
            var copy = Path.Combine(folder, "copy.bin");
            var watch = Stopwatch.StartNew();
            await RunAsync("cp", source, copy);
            await RunAsync("sync", "-f", copy);
            var cpSeconds = watch.Elapsed.TotalSeconds;
            File.Delete(copy);

            using var http = new HttpClient { BaseAddress = new Uri(context.BaseUrl), Timeout = TimeSpan.FromMinutes(10) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", context.Team.Contributor.Token);
            watch.Restart();
            await using (var body = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan))
            {
                using var content = new StreamContent(body, 1 << 20);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                content.Headers.ContentLength = size;
                var response = await http.PutAsync($"/api/v1/blobs/sha256/{digest}", content);
                response.EnsureSuccessStatusCode();
            }

            var putSeconds = watch.Elapsed.TotalSeconds;
            var mib = size / 1024.0 / 1024.0;
            BenchContext.Report("blob-1g", "cp_throughput", mib / cpSeconds, "MiB/s");
            BenchContext.Report("blob-1g", "put_throughput", mib / putSeconds, "MiB/s");
            BenchContext.Report("blob-1g", "put_vs_cp", cpSeconds / putSeconds, "ratio");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task RunAsync(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { UseShellExecute = false })!;
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} exited with {process.ExitCode}");
    }
}
