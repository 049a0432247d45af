using Hangfire;

namespace Portal.Core.Features.Webhooks;

/// <summary>Queues delivery attempts; the database stays the truth, so a lost job is found again by the dispatcher.</summary>
public interface IWebhookJobs
{
    void Enqueue(long deliveryId);

    void Schedule(long deliveryId, TimeSpan delay);
}

internal sealed class HangfireWebhookJobs(IBackgroundJobClient jobs) : IWebhookJobs
{
    public void Enqueue(long deliveryId) =>
        jobs.Enqueue<WebhookDeliveryJob>(j => j.ExecuteAsync(deliveryId, CancellationToken.None));

    public void Schedule(long deliveryId, TimeSpan delay) =>
        jobs.Schedule<WebhookDeliveryJob>(j => j.ExecuteAsync(deliveryId, CancellationToken.None), delay);
}
