using Portal.Core;
using Microsoft.Extensions.Options;
using static Portal.Core.ValidatedOptions;

namespace Portal.Web.Infrastructure;

/// <summary>Configuration section <c>MemoryTrim</c>.</summary>
public sealed class MemoryTrimOptions : IValidatedOptions
{
    public const string Section = "MemoryTrim";

    /// <summary>Give memory back once large requests are over; off, the server GC keeps what the busiest moment needed.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long no large request must have run before the trim.</summary>
    public TimeSpan Quiet { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Bodies at least this large (or of unknown length) count as large.</summary>
    public long LargeBodyBytes { get; set; } = 4 * 1024 * 1024;

    public IEnumerable<string> Problems() =>
        Positive("MemoryTrim:Quiet", Quiet).Concat(Positive("MemoryTrim:LargeBodyBytes", LargeBodyBytes));
}

/// <summary>
/// Returns memory to the system after bursts of large manifest requests. The server garbage collector sizes its heaps
/// for the busiest moment and only shrinks them when it collects, which an idle process never does: six concurrent
/// 28 MB manifests left a portal at 1.4 GB while idle. When no large request has run for <see cref="MemoryTrimOptions.Quiet"/>,
/// one aggressive full collection decommits what the burst left behind and idle SQLite connections release their page
/// caches (docs/operations.md has the measurements).
/// </summary>
public sealed class MemoryTrim(IOptions<MemoryTrimOptions> options, ILogger<MemoryTrim> logger)
{
    private int _inFlight;
    private long _generation;
    private int _trims;

    /// <summary>Trims done since start.</summary>
    public int Trims => Volatile.Read(ref _trims);

    /// <summary>Marks a request with a body of <paramref name="contentLength"/> bytes as running; dispose when it ends.</summary>
    public IDisposable? Begin(long? contentLength)
    {
        var settings = options.Value;
        if (!settings.Enabled || contentLength < settings.LargeBodyBytes)
            return null;
        Interlocked.Increment(ref _inFlight);
        return new Lease(this);
    }

    private void End()
    {
        if (Interlocked.Decrement(ref _inFlight) != 0)
            return;
        var generation = Interlocked.Increment(ref _generation);
        _ = TrimWhenQuietAsync(generation);
    }

    private async Task TrimWhenQuietAsync(long generation)
    {
        await Task.Delay(options.Value.Quiet);
        // A later large request restarts the wait; one still running postpones the trim to its end.
        if (Volatile.Read(ref _inFlight) != 0 || Interlocked.Read(ref _generation) != generation)
            return;
        var before = Environment.WorkingSet;
        // Idle pooled SQLite connections each keep up to 32 MiB of page cache (SqlitePragmas) in native memory, which
        // no collection returns; closing them gives it back, and the next request opens a fresh one.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        ReleaseFreedNativeMemory();
        Interlocked.Increment(ref _trims);
        logger.LogInformation("Memory trimmed after large requests: working set {Before} MB -> {After} MB", before >> 20, Environment.WorkingSet >> 20);
    }

    /// <summary>
    /// glibc keeps memory freed by native code (SQLite's caches, compression buffers) in its arenas for reuse;
    /// <c>malloc_trim</c> hands it back. Other C libraries (musl) lack the call and are left alone.
    /// </summary>
    private static void ReleaseFreedNativeMemory()
    {
        if (!OperatingSystem.IsLinux())
            return;
        try
        {
            _ = MallocTrim(0); // 1 when memory was released, 0 when there was none to release
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    private sealed class Lease(MemoryTrim trim) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                trim.End();
        }
    }
}

public static class MemoryTrimServiceCollectionExtensions
{
    public static IServiceCollection AddPortalMemoryTrim(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<MemoryTrimOptions>(configuration, MemoryTrimOptions.Section);
        services.AddSingleton<MemoryTrim>();
        return services;
    }
}
