using System.Diagnostics;
using Hangfire;
using Hangfire.Server;

namespace Portal.Core.Jobs;

/// <summary>
/// Measures every job the Hangfire server performs: <c>portal.jobs.duration</c> by job type and outcome, and
/// <c>portal.jobs.failures</c> for runs that threw, both tagged with the exception's type as <c>error.type</c> on failure
/// (OpenTelemetry's semantic convention). Added to the server's own filters (not Hangfire's static global
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
        var seconds = PortalTelemetry.SecondsSince(started);
        if (!failed)
        {
            PortalTelemetry.JobDuration.Record(seconds, jobTag, new KeyValuePair<string, object?>("outcome", "succeeded"));
            return;
        }
        // Hangfire wraps what the job threw in a JobPerformanceException; the type worth a dashboard is the inner one.
        var thrown = context.Exception is JobPerformanceException { InnerException: { } inner } ? inner : context.Exception!;
        var errorTag = new KeyValuePair<string, object?>("error.type", thrown.GetType().FullName);
        PortalTelemetry.JobDuration.Record(seconds, jobTag, new KeyValuePair<string, object?>("outcome", "failed"), errorTag);
        PortalTelemetry.JobFailures.Add(1, jobTag, errorTag);
    }
}
