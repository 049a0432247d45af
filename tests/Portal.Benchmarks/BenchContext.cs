using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.TestCommon;

namespace Portal.Benchmarks;

/// <summary>The portal on a real Kestrel server over a SQLite file in a temporary folder, and a signed-up team.</summary>
public sealed class BenchContext : IAsyncDisposable
{
    private readonly BenchApp _app;

    private BenchContext(BenchApp app, TestProject team)
    {
        _app = app;
        Team = team;
    }

    public TestProject Team { get; }

    public IServiceProvider Services => _app.Services;

    public PortalApp App => _app;

    public string BaseUrl => _app.ClientOptions.BaseAddress.ToString().TrimEnd('/');

    public static async Task<BenchContext> StartAsync()
    {
        // WebApplicationFactory finds the web project's folder through an attribute that only test projects get.
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Portal.sln")))
            root = root.Parent;
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_PORTAL_WEB",
            Path.Combine(root?.FullName ?? throw new InvalidOperationException("Run the benchmarks from the repository."), "src", "Portal.Web"));
        var app = new BenchApp();
        await ((Xunit.IAsyncLifetime)app).InitializeAsync();
        var team = await app.Data.CreateProjectWithTeamAsync();
        return new BenchContext(app, team);
    }

    public static void Report(string scenario, string figure, double value, string unit) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"BENCH {scenario}.{figure} {value:0.###} {unit}"));

    /// <summary>Load average over the last minute (Linux), printed beside figures that a busy machine would skew.</summary>
    public static double LoadAverage() =>
        double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);

    /// <summary>Resets this process's VmHWM (Linux), so the next reading is the peak of one case.</summary>
    public static void ResetPeakMemory()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Peak resident memory of this process since the last reset, in MB (null off Linux).</summary>
    public static double? PeakMemoryMegabytes() => StatusMegabytes("VmHWM:");

    /// <summary>Resident memory of this process now, in MB (null off Linux).</summary>
    public static double? ResidentMegabytes() => StatusMegabytes("VmRSS:");

    private static double? StatusMegabytes(string field)
    {
        var line = File.Exists("/proc/self/status")
            ? File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal))
            : null;
        return line is not null && long.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], out var kilobytes) ? kilobytes / 1024.0 : null;
    }

    public static async Task<(T Result, double Milliseconds)> TimeAsync<T>(Func<Task<T>> action)
    {
        var watch = Stopwatch.StartNew();
        var result = await action();
        return (result, watch.Elapsed.TotalMilliseconds);
    }

    /// <summary>
    /// Records blobs as stored and held by the team's project (set-up, not measured), as if every file had been
    /// uploaded into it.
    /// </summary>
    public async Task MarkBlobsStoredAsync(IEnumerable<(string Digest, long Size)> blobs)
    {
        await using var scope = Services.CreateAsyncScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var stored = connection.CreateCommand();
        stored.Transaction = transaction;
        stored.CommandText = "INSERT OR IGNORE INTO StoredBlobs (Digest, Size, StoredAt, Corrupt) VALUES ($d, $s, 0, 0)";
        var digest = stored.CreateParameter();
        digest.ParameterName = "$d";
        stored.Parameters.Add(digest);
        var size = stored.CreateParameter();
        size.ParameterName = "$s";
        stored.Parameters.Add(size);
        await using var held = connection.CreateCommand();
        held.Transaction = transaction;
        held.CommandText = "INSERT OR IGNORE INTO ProjectBlobs (ProjectId, Digest, Since) VALUES ($p, $d, 0)";
        // EF Core stores GUIDs as upper-case text on SQLite.
        var project = held.CreateParameter();
        project.ParameterName = "$p";
        project.Value = Team.Project.Id.ToString().ToUpperInvariant();
        held.Parameters.Add(project);
        var heldDigest = held.CreateParameter();
        heldDigest.ParameterName = "$d";
        held.Parameters.Add(heldDigest);
        foreach (var blob in blobs)
        {
            digest.Value = heldDigest.Value = blob.Digest;
            size.Value = blob.Size;
            await stored.ExecuteNonQueryAsync();
            await held.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
    }

    public async ValueTask DisposeAsync() => await ((Xunit.IAsyncLifetime)_app).DisposeAsync();

    private sealed class BenchApp() : PortalApp(DatabaseProvider.Sqlite)
    {
        protected override bool RunsOnKestrel => true;
    }
}

/// <summary>Samples managed memory in the background and keeps the peak.</summary>
public sealed class PeakMemory : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private long _peak;

    public PeakMemory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Baseline = GC.GetTotalMemory(forceFullCollection: true);
        _sampler = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                _peak = Math.Max(_peak, GC.GetTotalMemory(false));
                try
                {
                    await Task.Delay(5, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        });
    }

    public long Baseline { get; }

    public long Peak => Math.Max(_peak, GC.GetTotalMemory(false));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampler;
        _stop.Dispose();
    }
}
