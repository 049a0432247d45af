using Portal.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Portal.Core.Features.Reports;

public static class ReportsServiceCollectionExtensions
{
    /// <summary>E-mail digests: subscriptions, their content and rendering, and the recurring job that sends them.</summary>
    public static IServiceCollection AddReportsFeature(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<DigestOptions>(configuration, DigestOptions.Section);
        services.AddValidatedOptions<PublicUrlOptions>(configuration, PublicUrlOptions.Section);
        services.AddScoped<DigestContent>();
        services.AddScoped<DigestDispatch>();
        services.AddScoped<DigestSubscriptions>();
        services.AddScoped<DigestJob>();
        services.AddScoped<Data.IDemoDataContributor, DemoDigests>();
        return services;
    }
}
