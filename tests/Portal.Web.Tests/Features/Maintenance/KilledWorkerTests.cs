using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Npgsql;
using Portal.Core.Data;
using Portal.Web.Tests.Reliability;
using Xunit.Abstractions;

namespace Portal.Web.Tests.Features.Maintenance;

/// <summary>
/// With PostgreSQL job storage, a worker process killed (SIGKILL) in the middle of a job is not the end of the job:
/// the portal runs as a real separate process, starts a rate-limited integrity scrub, dies, and a new process picks
/// the same job up once its invisibility timeout has passed; the job completes, with one effect.
/// </summary>
public sealed class KilledWorkerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int BlobCount = 12;
    private const int BlobSize = 1024 * 1024;
    private readonly string _storageRoot = Path.Combine(Path.GetTempPath(), "portal-tests", "killed-worker-" + Guid.NewGuid().ToString("N")[..12]);
    private TestDatabase? _database;
    private readonly List<PortalServerProcess> _servers = [];

    public async Task InitializeAsync()
    {
        if (TestDatabase.UnavailableReason(DatabaseProvider.Postgres) is null)
            _database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
    }

    public async Task DisposeAsync()
    {
        foreach (var server in _servers)
            await server.DisposeAsync();
        if (_database is not null)
            await _database.DisposeAsync();
        if (Directory.Exists(_storageRoot))
            Directory.Delete(_storageRoot, recursive: true);
    }

    [SkippableFact]
    public async Task A_job_whose_worker_was_killed_is_taken_again_by_a_new_process_and_completes_once()
    {
        Skip.If(_database is null, TestDatabase.UnavailableReason(DatabaseProvider.Postgres));

        var first = await StartPortalAsync("first");
        using var client = Client(first.BaseAddress);
        var slug = TestData.UniqueSlug("killed");
        (await client.PostAsJsonAsync("/api/v1/projects", new CreateProjectRequest(slug, "Killed worker"))).EnsureSuccessStatusCode();
        var blobs = Enumerable.Range(0, BlobCount).Select(_ => RandomNumberGenerator.GetBytes(BlobSize)).ToList();
        var entries = blobs.Select((b, i) => new { path = $"part-{i:D2}.bin", digest = Convert.ToHexStringLower(SHA256.HashData(b)), size = b.Length }).ToList();
        var created = await client.PostAsJsonAsync($"/api/v1/projects/{slug}/artifacts/shards/versions", new { type = "dataset", entries });
        created.EnsureSuccessStatusCode();
        var versionId = (await created.Content.ReadFromJsonAsync<CreateVersionResponse>())!.VersionId!.Value;
        for (var i = 0; i < BlobCount; i++)
            (await client.PutAsync($"/api/v1/blobs/sha256/{entries[i].digest}", new ByteArrayContent(blobs[i]))).EnsureSuccessStatusCode();
        (await client.PostAsync($"/api/v1/projects/{slug}/artifacts/shards/versions/{versionId}/commit", null)).EnsureSuccessStatusCode();
        // One blob rots on disk: the scrub must flag its version exactly once, however often it runs.
        var rotten = entries[^1].digest;
        await File.WriteAllBytesAsync(Path.Combine(_storageRoot, "sha256", rotten[..2], rotten[2..4], rotten), RandomNumberGenerator.GetBytes(BlobSize));

        var queued = await client.PostAsync("/api/v1/admin/maintenance/jobs/integrity-scrub/run", null);
        Assert.Equal(HttpStatusCode.Accepted, queued.StatusCode);
        var runId = (await queued.Content.ReadFromJsonAsync<MaintenanceRunResponse>())!.Id;

        // Wait until the job is half-way (some blobs verified, run still running), then kill the process outright.
        await WaitForAsync(async () => await ScalarAsync($"SELECT count(*) FROM \"StoredBlobs\" WHERE \"VerifiedAt\" IS NOT NULL") >= 3, TimeSpan.FromSeconds(90), "the scrub to verify 3 blobs");
        await first.KillAsync();
        var verifiedAtKill = await ScalarAsync("SELECT count(*) FROM \"StoredBlobs\" WHERE \"VerifiedAt\" IS NOT NULL");
        output.WriteLine($"killed with {verifiedAtKill} of {BlobCount} blobs verified");
        Assert.InRange(verifiedAtKill, 3, BlobCount - 1);
        Assert.Equal("Running", await TextAsync($"SELECT \"State\" FROM \"MaintenanceRuns\" WHERE \"Id\" = {runId}"));

        var clock = Stopwatch.StartNew();
        var secondServer = await StartPortalAsync("second");
        await WaitForAsync(async () => await TextAsync($"SELECT \"State\" FROM \"MaintenanceRuns\" WHERE \"Id\" = {runId}") == "Succeeded", TimeSpan.FromSeconds(120), "the run to succeed in the new process");
        output.WriteLine($"completed {clock.Elapsed.TotalSeconds:F1} s after the second process was started");

        using var second = Client(secondServer.BaseAddress);
        var runs = await (await second.GetAsync("/api/v1/admin/maintenance/runs?job=integrity-scrub")).ReadOkAsync<List<MaintenanceRunResponse>>();
        var run = Assert.Single(runs);
        Assert.Equal(runId, run.Id);
        Assert.Equal(2, run.Attempts);
        // The second attempt resumed: it re-hashed only what the killed one had not finished.
        Assert.Equal(BlobCount - verifiedAtKill, run.Examined);
        Assert.Equal(BlobCount, await ScalarAsync("SELECT count(*) FROM \"StoredBlobs\" WHERE \"VerifiedAt\" IS NOT NULL"));
        Assert.Equal(1, await ScalarAsync("SELECT count(*) FROM \"StoredBlobs\" WHERE \"Corrupt\""));
        Assert.Equal(1, await ScalarAsync($"SELECT count(*) FROM \"VersionIntegrityFlags\" WHERE \"VersionId\" = '{versionId}'"));
        Assert.Equal(1, await ScalarAsync($"SELECT count(*) FROM \"AuditEvents\" WHERE \"Action\" = 'artifact_version.integrity_flagged' AND \"TargetId\" = '{versionId}'"));
    }

    private static HttpClient Client(Uri url)
    {
        var client = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", PortalApp.AdminToken);
        return client;
    }

    /// <summary>Starts <c>Portal.Web.dll</c> as its own process with PostgreSQL job storage and waits until it answers.</summary>
    private async Task<PortalServerProcess> StartPortalAsync(string name)
    {
        const string never = "0 0 31 2 *";
        var settings = new Dictionary<string, string>
        {
            ["Jobs__Storage"] = "Database",
            ["Jobs__RunServer"] = "true",
            ["Jobs__WorkerCount"] = "1",
            ["Jobs__InvisibilityTimeout"] = "00:00:05",
            // 1 MiB/s: the 12 MiB scrub takes about 12 s, long enough to be killed in the middle.
            ["Maintenance__ScrubBytesPerSecond"] = BlobSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Maintenance__PendingExpiryCron"] = never,
            ["Maintenance__IntegrityScrubCron"] = never,
            ["Maintenance__RetentionCron"] = never,
            ["Maintenance__GarbageCollectionCron"] = never,
        };
        var server = new PortalServerProcess(_database!.ConnectionString, "Postgres", _storageRoot, settings, line => Log(name, line));
        _servers.Add(server);
        await server.StartAsync();
        return server;
    }

    private void Log(string name, string? line)
    {
        if (line is null)
            return;
        try
        {
            output.WriteLine($"[{name}] {line}");
        }
        catch (InvalidOperationException)
        {
            // The test finished while the process was still writing.
        }
    }

    private async Task<long> ScalarAsync(string sql) => Convert.ToInt64(await QueryAsync(sql), System.Globalization.CultureInfo.InvariantCulture);

    private async Task<string?> TextAsync(string sql) => (await QueryAsync(sql))?.ToString();

    private async Task<object?> QueryAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_database!.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"Waited {timeout.TotalSeconds:F0} s for {what}.");
            await Task.Delay(200);
        }
    }
}
