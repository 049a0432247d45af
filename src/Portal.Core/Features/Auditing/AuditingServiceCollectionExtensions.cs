using Microsoft.Extensions.DependencyInjection;

namespace Portal.Core.Features.Auditing;

public static class AuditingServiceCollectionExtensions
{
    /// <summary>Reading, exporting and verifying the audit log (records are written by every use case through <c>db.Record</c>).</summary>
    public static IServiceCollection AddAuditingFeature(this IServiceCollection services)
    {
        services.AddScoped<AuditTrail>();
        services.AddScoped<AuditVerifier>();
        return services;
    }
}
