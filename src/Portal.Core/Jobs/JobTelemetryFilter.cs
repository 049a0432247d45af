using System.Diagnostics;
using Hangfire.Server;

namespace Portal.Core.Jobs;

/// <summary>
/// Measures every job the Hangfire server performs: <c>portal.jobs.duration</c> by job type and outcome, and
/// <c>portal.jobs.failures</c> for runs that threw. Added to the server's own filters (not Hangfire's static global
/// ones), so each host measures only the jobs it runs.
/// </summary>
public sealed class JobTelemetryFilter : IServerFilter
{
    private const string StartedKey = "portal.telemetry.started";

    public void OnPerforming(PerformingContext context) => context.Items[StartedKey] = Stopwatch.GetTimestamp();

    public void OnPerformed(PerformedContext context)
    {
        if (!context.Items.TryGetValue(StartedKey, out var value) || value is not long started)
            return;
        var jobType = context.BackgroundJob.Job?.Type.Name ?? "unknown";
        var failed = context.Exception is not null && !context.ExceptionHandled;
        var jobTag = new KeyValuePair<string, object?>("job_type", jobType);
        PortalTelemetry.JobDuration.Record(PortalTelemetry.SecondsSince(started), jobTag, new KeyValuePair<string, object?>("outcome", failed ? "failed" : "succeeded"));
        if (failed)
            PortalTelemetry.JobFailures.Add(1, jobTag);
    }
}
