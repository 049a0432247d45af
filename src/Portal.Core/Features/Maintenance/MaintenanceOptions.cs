using static Portal.Core.ValidatedOptions;
namespace Portal.Core.Features.Maintenance;

/// <summary>Schedules (Hangfire cron, UTC) and thresholds of the maintenance jobs: section <c>Maintenance</c>.</summary>
public sealed class MaintenanceOptions : IValidatedOptions
{
    public const string Section = "Maintenance";

    /// <summary>A pending version older than this is aborted: its upload was abandoned.</summary>
    public TimeSpan PendingTtl { get; set; } = TimeSpan.FromHours(24);

    public string PendingExpiryCron { get; set; } = "*/30 * * * *";

    public string IntegrityScrubCron { get; set; } = "10 * * * *";

    /// <summary>At most this many blobs are re-hashed per scrub run; the next run continues with the oldest-verified.</summary>
    public int ScrubMaxBlobsPerRun { get; set; } = 10_000;

    /// <summary>A scrub run stops starting new blobs after this many bytes (so a run stays bounded in time).</summary>
    public long ScrubMaxBytesPerRun { get; set; } = 50L * 1024 * 1024 * 1024;

    /// <summary>Read rate limit of the scrub in bytes per second (0 = unlimited), so it does not starve uploads of disk.</summary>
    public long ScrubBytesPerSecond { get; set; }

    /// <summary>A blob verified more recently than this is not re-hashed again.</summary>
    public TimeSpan ScrubReverifyAfter { get; set; } = TimeSpan.FromDays(7);

    public string RetentionCron { get; set; } = "30 2 * * *";

    public string GarbageCollectionCron { get; set; } = "30 3 * * *";

    /// <summary>
    /// A blob is deleted only when it has been unreferenced for this long and was stored at least this long ago; also
    /// how long aborted versions keep their manifest.
    /// </summary>
    public TimeSpan GarbageGracePeriod { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Temp files of puts that never finished are removed after this age (well above the longest upload).</summary>
    public TimeSpan TempFileAge { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Blobs deleted per database transaction by garbage collection.</summary>
    public int GarbageBatchSize { get; set; } = 500;

    /// <summary>A pack whose live blobs fill less than this share of it is rewritten with only those (0 to 1).</summary>
    public double PackRewriteBelowLiveShare { get; set; } = 0.5;

    /// <summary>A rewritten pack's object is deleted this long after, so reads that had just looked up its place finish.</summary>
    public TimeSpan PackRetireDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Bytes of live blobs garbage collection moves into new packs per run at most (so a run stays bounded).</summary>
    public long PackRewriteMaxBytesPerRun { get; set; } = 4L * 1024 * 1024 * 1024;

    public IEnumerable<string> Problems()
    {
        var problems = Positive("Maintenance:PendingTtl", PendingTtl)
            .Concat(Required("Maintenance:PendingExpiryCron", PendingExpiryCron))
            .Concat(Required("Maintenance:IntegrityScrubCron", IntegrityScrubCron))
            .Concat(Required("Maintenance:RetentionCron", RetentionCron))
            .Concat(Required("Maintenance:GarbageCollectionCron", GarbageCollectionCron))
            .Concat(Positive("Maintenance:ScrubMaxBlobsPerRun", ScrubMaxBlobsPerRun))
            .Concat(Positive("Maintenance:ScrubMaxBytesPerRun", ScrubMaxBytesPerRun))
            .Concat(AtLeast("Maintenance:ScrubBytesPerSecond (0 for no limit)", ScrubBytesPerSecond, 0))
            .Concat(Positive("Maintenance:ScrubReverifyAfter", ScrubReverifyAfter))
            .Concat(AtLeast("Maintenance:GarbageGracePeriod", GarbageGracePeriod.Ticks, 0))
            .Concat(Positive("Maintenance:TempFileAge", TempFileAge))
            .Concat(Positive("Maintenance:GarbageBatchSize", GarbageBatchSize))
            .Concat(AtLeast("Maintenance:PackRetireDelay", PackRetireDelay.Ticks, 0))
            .Concat(Positive("Maintenance:PackRewriteMaxBytesPerRun", PackRewriteMaxBytesPerRun))
            .ToList();
        if (PackRewriteBelowLiveShare is < 0 or > 1)
            problems.Add($"Maintenance:PackRewriteBelowLiveShare must be a share between 0 and 1, such as 0.5 (it is {PackRewriteBelowLiveShare}).");
        return problems;
    }
}
