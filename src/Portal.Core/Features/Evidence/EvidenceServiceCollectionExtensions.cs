using Microsoft.Extensions.DependencyInjection;

namespace Portal.Core.Features.Evidence;

public static class EvidenceServiceCollectionExtensions
{
    /// <summary>Signed evidence packs and the keys that sign them (private keys protected by Data Protection).</summary>
    public static IServiceCollection AddEvidenceFeature(this IServiceCollection services)
    {
        services.AddDataProtection();
        services.AddScoped<EvidenceKeys>();
        services.AddScoped<EvidenceExport>();
        return services;
    }
}
