using Portal.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Portal.Core.Features.Maintenance;

public static class MaintenanceServiceCollectionExtensions
{
    /// <summary>Pending-version expiry, blob integrity scrub, retention and garbage collection, with their run reports.</summary>
    public static IServiceCollection AddMaintenanceFeature(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<MaintenanceOptions>(configuration, MaintenanceOptions.Section);
        services.AddScoped<MaintenanceRuns>();
        services.AddScoped<MaintenanceJobRunner>();
        services.AddScoped<RetentionPolicies>();
        services.AddScoped<VersionIntegrity>();
        services.AddScoped<IMaintenanceJob, PendingVersionExpiry>();
        services.AddScoped<IMaintenanceJob, BlobIntegrityScrub>();
        services.AddScoped<IMaintenanceJob, RetentionJob>();
        services.AddScoped<IMaintenanceJob, GarbageCollection>();
        return services;
    }
}
