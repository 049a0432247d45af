using Microsoft.Extensions.DependencyInjection;

namespace Portal.Core.Features.Registry;

public static class RegistryServiceCollectionExtensions
{
    /// <summary>Site-wide registry collections: cards, links of project versions, versions and lineage across links.</summary>
    public static IServiceCollection AddRegistryFeature(this IServiceCollection services)
    {
        services.AddScoped<RegistryCollections>();
        services.AddScoped<RegistryLinks>();
        services.AddScoped<RegistryVersions>();
        services.AddScoped<Data.IDemoDataContributor, DemoRegistry>();
        return services;
    }
}
