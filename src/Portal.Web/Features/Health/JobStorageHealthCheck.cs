using Hangfire;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Portal.Web.Features.Health;

/// <summary>Hangfire's job storage answers a count of the default queue (one indexed query on database storage).</summary>
public sealed class JobStorageHealthCheck(JobStorage storage) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            // Hangfire's storage API is synchronous: keep the request thread free and give up at the check's timeout.
            await Task.Run(() => storage.GetMonitoringApi().EnqueuedCount("default"), cancellationToken).WaitAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The job storage did not answer: {ex.Message}", ex);
        }
    }
}
