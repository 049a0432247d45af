using Portal.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Core.Net;

namespace Portal.Core.Features.Ingestions;

public static class IngestionsServiceCollectionExtensions
{
    /// <summary>Server-side ingestion: uploads into staging folders, references read by the server, and the job that commits them.</summary>
    public static IServiceCollection AddIngestionsFeature(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<IngestionOptions>(configuration, IngestionOptions.Section);
        services.AddHttpClient(ReferenceSources.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var allowPrivate = sp.GetRequiredService<IOptions<IngestionOptions>>().Value.AllowPrivateAddresses;
                // Redirects are followed by hand so that each hop is checked; the connect callback refuses non-public
                // addresses on the address actually connected to.
                return PublicAddresses.Handler(allowPrivate, TimeSpan.FromSeconds(15));
            })
            .ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan);
        services.AddSingleton<IngestionStaging>();
        services.AddSingleton<ReferenceSources>();
        services.AddScoped<ZipExpansion>();
        services.AddScoped<Ingestions>();
        services.AddScoped<IngestionJob>();
        services.AddScoped<IngestionReconciliation>();
        return services;
    }
}
