using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Portal.Core;

/// <summary>
/// The portal's own meter and activity source, both named <c>Portal</c>: use cases record here and the host exports
/// them (docs/observability.md lists every instrument). Without a listener, recording costs next to nothing.
/// </summary>
public static class PortalTelemetry
{
    public const string Name = "Portal";

    public static readonly ActivitySource ActivitySource = new(Name);

    public static readonly Meter Meter = new(Name);

    /// <summary>Bytes of blobs that were verified and stored (or proved present), by outcome: stored or deduplicated.</summary>
    public static readonly Counter<long> UploadedBytes = Meter.CreateCounter<long>(
        "portal.blobs.uploaded", "By", "Bytes of verified blob uploads, by outcome (stored: new bytes; deduplicated: the store held them already).");

    public static readonly Histogram<double> CommitDuration = Meter.CreateHistogram<double>(
        "portal.versions.commit.duration", "s", "Time to commit a pending version, by outcome (committed, unchanged, refused).");

    public static readonly Histogram<double> ValidationDuration = Meter.CreateHistogram<double>(
        "portal.validation.duration", "s", "Time to validate a version, by outcome (completed, failed, cancelled).");

    public static readonly Histogram<double> JobDuration = Meter.CreateHistogram<double>(
        "portal.jobs.duration", "s", "Time a background job ran, by job type and outcome (succeeded, failed).");

    public static readonly Counter<long> JobFailures = Meter.CreateCounter<long>(
        "portal.jobs.failures", "{job}", "Background job runs that threw, by job type.");

    private static readonly Lock QueueSourcesLock = new();
    private static readonly List<Func<long?>> QueueSources = [];

    /// <summary>Jobs waiting in the queues; observed only while a job host has registered a source.</summary>
    public static readonly ObservableGauge<long> QueueDepth = Meter.CreateObservableGauge(
        "portal.jobs.queue_depth", ObserveQueueDepth, "{job}", "Jobs enqueued and not yet picked up by a worker.");

    /// <summary>
    /// Makes <paramref name="source"/> the reader of the queue depth until the result is disposed. The source must be
    /// cheap and may return null when it cannot tell (storage unreachable); nothing is reported then.
    /// </summary>
    public static IDisposable ReportQueueDepth(Func<long?> source)
    {
        lock (QueueSourcesLock)
            QueueSources.Add(source);
        return new Registration(() =>
        {
            lock (QueueSourcesLock)
                QueueSources.Remove(source);
        });
    }

    private static IEnumerable<Measurement<long>> ObserveQueueDepth()
    {
        Func<long?>[] sources;
        lock (QueueSourcesLock)
            sources = [.. QueueSources];
        // Several hosts in one process (tests) each register their own storage; the last one registered speaks.
        for (var i = sources.Length - 1; i >= 0; i--)
        {
            if (sources[i]() is { } depth)
                return [new Measurement<long>(depth)];
        }
        return [];
    }

    /// <summary>Seconds since <paramref name="startTimestamp"/> (from <see cref="Stopwatch.GetTimestamp"/>).</summary>
    public static double SecondsSince(long startTimestamp) => Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds;

    private sealed class Registration(Action release) : IDisposable
    {
        private Action? _release = release;

        public void Dispose() => Interlocked.Exchange(ref _release, null)?.Invoke();
    }
}
