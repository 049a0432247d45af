using Microsoft.Extensions.DependencyInjection;

namespace Portal.Core.Features.Changes;

public static class ChangesServiceCollectionExtensions
{
    /// <summary>The chunk-level change feed between two versions.</summary>
    public static IServiceCollection AddChangesFeature(this IServiceCollection services)
    {
        services.AddScoped<ChangeFeed>();
        return services;
    }
}
