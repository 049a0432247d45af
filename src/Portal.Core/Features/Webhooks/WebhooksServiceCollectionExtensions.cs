using Portal.Core;
using Hangfire;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Core.Net;

namespace Portal.Core.Features.Webhooks;

public static class WebhooksServiceCollectionExtensions
{
    /// <summary>Webhooks: management, the recurring dispatcher that fans outbox events out, and the delivery job.</summary>
    public static IServiceCollection AddWebhooksFeature(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<WebhookOptions>(configuration, WebhookOptions.Section);
        services.AddHttpClient(WebhookDeliveryJob.HttpClientName)
            // A redirect is reported as the receiver's answer rather than followed to an address nobody configured, and
            // connections go only to public addresses (checked on the address actually connected to, so DNS cannot be used to sneak past).
            .ConfigurePrimaryHttpMessageHandler(sp =>
                PublicAddresses.Handler(sp.GetRequiredService<IOptions<WebhookOptions>>().Value.AllowPrivateAddresses, TimeSpan.FromSeconds(10)));
        services.AddScoped<Webhooks>();
        services.AddScoped<WebhookDispatcher>();
        services.AddScoped<WebhookDeliveryJob>();
        services.AddSingleton<IWebhookJobs, HangfireWebhookJobs>();
        return services;
    }
}
