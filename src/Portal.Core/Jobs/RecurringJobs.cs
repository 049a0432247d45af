using Hangfire;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Portal.Core.Features.Maintenance;
using Portal.Core.Features.Reports;
using Portal.Core.Features.Webhooks;

namespace Portal.Core.Jobs;

/// <summary>
/// Every recurring job of the portal, registered (or updated) in one place when the host starts. A job listed here is
/// a plain scoped class whose method is safe to run twice; its schedule comes from its feature's options.
/// </summary>
internal sealed class RecurringJobs(
    IRecurringJobManager recurringJobs, IOptions<WebhookOptions> webhooks, IOptions<DigestOptions> digests, IOptions<MaintenanceOptions> maintenance) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        recurringJobs.AddOrUpdate<WebhookDispatcher>(WebhookDispatcher.RecurringJobId, d => d.ExecuteAsync(CancellationToken.None), webhooks.Value.DispatchCron);
        recurringJobs.AddOrUpdate<DigestJob>(DigestJob.RecurringJobId, j => j.ExecuteAsync(CancellationToken.None), digests.Value.Cron);
        AddMaintenance(Client.Models.MaintenanceJobNames.PendingExpiry, maintenance.Value.PendingExpiryCron);
        AddMaintenance(Client.Models.MaintenanceJobNames.IntegrityScrub, maintenance.Value.IntegrityScrubCron);
        AddMaintenance(Client.Models.MaintenanceJobNames.Retention, maintenance.Value.RetentionCron);
        AddMaintenance(Client.Models.MaintenanceJobNames.GarbageCollection, maintenance.Value.GarbageCollectionCron);
        return Task.CompletedTask;
    }

    private void AddMaintenance(string job, string cron) =>
        recurringJobs.AddOrUpdate<MaintenanceJobRunner>(MaintenanceJobRunner.RecurringJobId(job), r => r.ScheduledAsync(job, CancellationToken.None), cron);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
