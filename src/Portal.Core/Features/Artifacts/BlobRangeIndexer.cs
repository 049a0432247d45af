using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portal.Core.Data;

namespace Portal.Core.Features.Artifacts;

/// <summary>
/// Moves stored ranges from <see cref="UnindexedRange"/> into the <see cref="BlobRange"/> index. Each transaction
/// indexes whole ranges (about <see cref="EntriesPerTransaction"/> entries) and removes them from the backlog, so a
/// look-up sees every range either in the index or in the backlog, never in neither. Transactions stay short so that
/// uploads, which share SQLite's single writer, wait at most one of them.
/// </summary>
public sealed class BlobRangeIndexer(IDbContextFactory<PortalDbContext> dbFactory, TimeProvider clock, ILogger<BlobRangeIndexer> logger)
{
    public const int EntriesPerTransaction = 8192;

    private readonly SemaphoreSlim _running = new(1, 1);
    private readonly SemaphoreSlim _signal = new(0, 1);

    /// <summary>Wakes the background indexing (ranges were just stored). Cheap; signals coalesce.</summary>
    public void Signal()
    {
        if (_signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another writer signalled at the same moment; one wake-up is enough.
            }
        }
    }

    /// <summary>Waits for <see cref="Signal"/> or <paramref name="timeout"/>.</summary>
    internal Task<bool> WaitForSignalAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);

    /// <summary>Whether ranges were stored since the last wait.</summary>
    internal bool Signalled => _signal.CurrentCount > 0;

    /// <summary>Indexes every range in the backlog, including those stored while it runs; returns how many.</summary>
    public Task<int> DrainAsync(CancellationToken ct = default) => DrainAsync(yieldToUploads: false, ct);

    /// <summary>
    /// Indexes the backlog; with <paramref name="yieldToUploads"/>, stops after the current transaction when an upload
    /// stores ranges meanwhile (the background service comes back once uploads are quiet).
    /// </summary>
    internal async Task<int> DrainAsync(bool yieldToUploads, CancellationToken ct)
    {
        await _running.WaitAsync(ct);
        try
        {
            var indexed = 0;
            while (!(yieldToUploads && Signalled))
            {
                var done = await IndexNextAsync(ct);
                if (done == 0)
                    break;
                indexed += done;
            }
            return indexed;
        }
        finally
        {
            _running.Release();
        }
    }

    /// <summary>How many stored ranges wait to be indexed.</summary>
    public async Task<int> BacklogAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.UnindexedRanges.CountAsync(ct);
    }

    private async Task<int> IndexNextAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var queued = await db.UnindexedRanges.AsNoTracking()
            .Join(db.ManifestRanges, u => u.RangeDigest, r => r.Digest, (u, r) => new { r.Digest, r.EntryCount })
            .OrderBy(r => r.Digest)
            .Take(64)
            .ToListAsync(ct);
        if (queued.Count == 0)
            return 0;
        var batch = new List<string>();
        var entries = 0;
        foreach (var range in queued)
        {
            if (batch.Count > 0 && entries + range.EntryCount > EntriesPerTransaction)
                break;
            batch.Add(range.Digest);
            entries += range.EntryCount;
        }

        var started = clock.GetTimestamp();
        await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            foreach (var range in batch)
                await IndexRangeAsync(db, range, ct);
            await db.UnindexedRanges.Where(u => batch.Contains(u.RangeDigest)).ExecuteDeleteAsync(ct);
            await transaction.CommitAsync(ct);
        });
        logger.LogDebug("Indexed the blobs of {Ranges} ranges ({Entries} entries) in {Elapsed}", batch.Count, entries, clock.GetElapsedTime(started));
        return batch.Count;
    }

    /// <summary>
    /// Indexes the blobs of one range. Set-based and provider-neutral (double-quoted names work on all three). NOT
    /// EXISTS keeps a second indexer (another portal process) that got here first from turning this into a key
    /// violation. The digest parameter is typed as its column (<c>char(64)</c> on SQL Server; a plain string parameter
    /// would be <c>nvarchar</c> there and convert the column, scanning its index instead of seeking).
    /// </summary>
    internal static Task<int> IndexRangeAsync(PortalDbContext db, string range, CancellationToken ct)
    {
        var mapping = db.Model.FindEntityType(typeof(RangeEntry))!.FindProperty(nameof(RangeEntry.RangeDigest))!.GetRelationalTypeMapping();
        using var command = db.Database.GetDbConnection().CreateCommand();
        var parameter = mapping.CreateParameter(command, "range", range, nullable: false);
        return db.Database.ExecuteSqlRawAsync("""
            INSERT INTO "BlobRanges" ("Digest", "RangeDigest")
            SELECT DISTINCT e."Digest", e."RangeDigest" FROM "RangeEntries" e
            WHERE e."RangeDigest" = @range
              AND NOT EXISTS (SELECT 1 FROM "BlobRanges" b WHERE b."Digest" = e."Digest" AND b."RangeDigest" = e."RangeDigest")
            """, [parameter], ct);
    }
}

/// <summary>
/// Runs <see cref="BlobRangeIndexer"/> in the background: once uploads have been quiet for <see cref="QuietPeriod"/>
/// (or at the latest <see cref="MaxDelay"/> after the first of a busy stream of them), and every
/// <see cref="Interval"/> for ranges other processes stored. Indexing and uploads share the database's writers (on
/// SQLite, its only one), so the index waits for uploads rather than the other way round.
/// </summary>
public sealed class BlobRangeIndexing(BlobRangeIndexer indexer, TimeProvider clock, ILogger<BlobRangeIndexing> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan QuietPeriod = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var first = clock.GetTimestamp();
                if (await indexer.WaitForSignalAsync(Interval, stoppingToken))
                {
                    first = clock.GetTimestamp();
                    while (clock.GetElapsedTime(first) < MaxDelay && await indexer.WaitForSignalAsync(QuietPeriod, stoppingToken))
                    {
                    }
                }
                try
                {
                    // Past the longest delay, the backlog is indexed even while uploads go on, so it stays bounded.
                    await indexer.DrainAsync(yieldToUploads: clock.GetElapsedTime(first) < MaxDelay, stoppingToken);
                    failures = 0;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Busy database, or a race with another process: the backlog stays and the next round retries.
                    if (failures++ == 0)
                        logger.LogWarning(ex, "Indexing stored ranges failed; retrying every {Interval}", Interval);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
