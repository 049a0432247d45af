using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Checks;
using Portal.Core.Features.Compare;
using Portal.Core.Jobs;

namespace Portal.Core.Features.Validation;

public static class ValidationServiceCollectionExtensions
{
    /// <summary>Validation rules and results, compare reports, the jobs that make them, and the promotion checks that read them.</summary>
    public static IServiceCollection AddValidationFeature(this IServiceCollection services)
    {
        services.AddScoped<ValidationRuleSets>();
        services.AddScoped<VersionValidations>();
        services.AddScoped<CompareReports>();
        services.AddScoped<ValidationJob>();
        services.AddScoped<CompareReportJob>();
        services.AddScoped<VersionJobsReconciliation>();
        services.AddScoped<IVersionCommitObserver, VersionJobsObserver>();
        services.AddScoped<IVersionCheckStatusSource, StoredVersionCheckStatusSource>();
        return services;
    }
}
