using Hangfire;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Portal.Core.Features.Webhooks;

public static class WebhooksServiceCollectionExtensions
{
    /// <summary>Webhooks: management, the recurring dispatcher that fans outbox events out, and the delivery job.</summary>
    public static IServiceCollection AddWebhooksFeature(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<WebhookOptions>(configuration.GetSection(WebhookOptions.Section));
        services.AddHttpClient(WebhookDeliveryJob.HttpClientName)
            // A redirect is reported as the receiver's answer rather than followed to an address nobody configured.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        services.AddScoped<Webhooks>();
        services.AddScoped<WebhookDispatcher>();
        services.AddScoped<WebhookDeliveryJob>();
        services.AddSingleton<IWebhookJobs, HangfireWebhookJobs>();
        services.AddHostedService<WebhookDispatchSchedule>();
        return services;
    }
}

/// <summary>Registers (or updates) the dispatcher's recurring job when the host starts.</summary>
internal sealed class WebhookDispatchSchedule(IRecurringJobManager recurringJobs, IOptions<WebhookOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        recurringJobs.AddOrUpdate<WebhookDispatcher>(WebhookDispatcher.RecurringJobId, d => d.ExecuteAsync(CancellationToken.None), options.Value.DispatchCron);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
