using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Portal.Client.Models;
using Portal.TestCommon;

namespace Portal.Benchmarks;

/// <summary>
/// Memory of a real portal process (Portal.Web.dll with its own server GC settings, not this process) around a burst
/// of six concurrent 28 MB JSON manifests: idle before, peak during, and idle after, with the memory trim off and on.
/// </summary>
public static class MemoryScenarios
{
    private const int Concurrent = 6;
    private const int EntriesPerManifest = 140_000; // about 28 MB of JSON, under the 30 MB body limit

    public static async Task ManifestBurstAsync(BenchContext context)
    {
        foreach (var trim in new[] { false, true })
        {
            var name = trim ? "manifest-burst.trim" : "manifest-burst.no-trim";
            var folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "portal-bench-memory-" + Guid.NewGuid().ToString("N")[..8])).FullName;
            using var server = StartServer(folder, trim);
            try
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.Port}/api/v1/"), Timeout = TimeSpan.FromMinutes(10) };
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", PortalApp.AdminToken);
                await WaitHealthyAsync(http, server.Process);
                (await http.PostAsJsonAsync("projects", new CreateProjectRequest("memory", "Memory"), HttpAssertions.Json)).EnsureSuccessStatusCode();
                // Warm up: one small manifest, then let the process settle.
                (await PostManifestAsync(http, "warm", 1000, 0)).EnsureSuccessStatusCode();
                await Task.Delay(TimeSpan.FromSeconds(10));
                var idle = Rss(server.Process);

                var bodies = Enumerable.Range(0, Concurrent).Select(i => ManifestJson(EntriesPerManifest, i)).ToList();
                BenchContext.Report(name, "manifest-size", Encoding.UTF8.GetByteCount(bodies[0]) / 1048576.0, "MB");
                long peak = 0;
                using var sampling = new CancellationTokenSource();
                var sampler = Task.Run(async () =>
                {
                    while (!sampling.IsCancellationRequested)
                    {
                        peak = Math.Max(peak, Rss(server.Process));
                        await Task.Delay(100);
                    }
                });
                var watch = Stopwatch.StartNew();
                var responses = await Task.WhenAll(bodies.Select((body, i) => http.PostAsync(
                    $"projects/memory/artifacts/set-{i}/versions", new StringContent(body, Encoding.UTF8, "application/json"))));
                var burstSeconds = watch.Elapsed.TotalSeconds;
                foreach (var response in responses)
                    response.EnsureSuccessStatusCode();
                bodies.Clear();
                await Task.Delay(TimeSpan.FromSeconds(15));
                var after15 = Rss(server.Process);
                await Task.Delay(TimeSpan.FromSeconds(15));
                var after30 = Rss(server.Process);
                await sampling.CancelAsync();
                await sampler;

                BenchContext.Report(name, "idle", idle / 1048576.0, "MB");
                BenchContext.Report(name, "peak", peak / 1048576.0, "MB");
                BenchContext.Report(name, "burst", burstSeconds, "s");
                BenchContext.Report(name, "idle-after-15s", after15 / 1048576.0, "MB");
                BenchContext.Report(name, "idle-after-30s", after30 / 1048576.0, "MB");
                BenchContext.Report(name, "after-over-idle", (double)after30 / idle, "x");
            }
            finally
            {
                server.Process.Kill(entireProcessTree: true);
                await server.Process.WaitForExitAsync();
                try
                {
                    Directory.Delete(folder, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    private sealed record Server(Process Process, int Port) : IDisposable
    {
        public void Dispose() => Process.Dispose();
    }

    private static Server StartServer(string folder, bool trim)
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Portal.sln")))
            root = root.Parent;
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var dll = Path.Combine(root!.FullName, "src", "Portal.Web", "bin", configuration, "net10.0", "Portal.Web.dll");
        int port;
        using (var listener = new TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }
        var start = new ProcessStartInfo("dotnet", [dll]) { UseShellExecute = false, WorkingDirectory = Path.GetDirectoryName(dll)!, RedirectStandardOutput = true };
        var settings = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Database__Provider"] = "Sqlite",
            ["ConnectionStrings__Portal"] = $"Data Source={Path.Combine(folder, "portal.db")}",
            ["Database__MigrateOnStartup"] = "true",
            ["Portal__SeedDemoData"] = "false",
            ["Portal__Bootstrap__AdminEmail"] = PortalApp.AdminEmail,
            ["Portal__Bootstrap__AdminPassword"] = PortalApp.AdminPassword,
            ["Portal__Bootstrap__AdminApiToken"] = PortalApp.AdminToken,
            ["Storage__Root"] = Path.Combine(folder, "blobs"),
            ["DataProtection__KeysFolder"] = Path.Combine(folder, "keys"),
            ["Jobs__Storage"] = "InMemory",
            ["Jobs__RunServer"] = "false",
            ["Logging__LogLevel__Default"] = "Warning",
            ["MemoryTrim__Enabled"] = trim ? "true" : "false",
        };
        foreach (var (key, value) in settings)
            start.Environment[key] = value;
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        return new Server(process, port);
    }

    private static async Task WaitHealthyAsync(HttpClient http, Process process)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(120))
        {
            if (process.HasExited)
                throw new InvalidOperationException($"The portal process exited with {process.ExitCode} while starting.");
            try
            {
                if ((await http.GetAsync("/healthz")).IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(250);
        }
        throw new TimeoutException("The portal did not become healthy within 120 s.");
    }

    private static Task<HttpResponseMessage> PostManifestAsync(HttpClient http, string artifact, int entries, int seed) =>
        http.PostAsync($"projects/memory/artifacts/{artifact}/versions", new StringContent(ManifestJson(entries, seed), Encoding.UTF8, "application/json"));

    /// <summary>A JSON version body of <paramref name="entries"/> reference entries (no blobs to upload), in shuffled order.</summary>
    private static string ManifestJson(int entries, int seed)
    {
        var body = new StringBuilder("{\"type\":\"dataset\",\"entries\":[");
        for (var i = 0; i < entries; i++)
        {
            if (i > 0)
                body.Append(',');
            var path = $"shard-{seed}/part-{(i * 7919L) % entries:D7}/record.jsonl";
            var digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(path)));
            body.Append(JsonSerializer.Serialize(new ManifestEntryModel(path, digest, 1000 + i, "s3://bucket/" + path), HttpAssertions.Json));
        }
        return body.Append("]}").ToString();
    }

    private static long Rss(Process process)
    {
        foreach (var line in File.ReadLines($"/proc/{process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        return 0;
    }
}
