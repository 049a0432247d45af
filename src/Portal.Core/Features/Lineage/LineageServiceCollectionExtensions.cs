using Microsoft.Extensions.DependencyInjection;

namespace Portal.Core.Features.Lineage;

public static class LineageServiceCollectionExtensions
{
    /// <summary>Reading the lineage graph: subgraphs with clusters, provenance and impact.</summary>
    public static IServiceCollection AddLineageFeature(this IServiceCollection services)
    {
        services.AddScoped<LineageGraph>();
        return services;
    }
}
