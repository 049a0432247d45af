using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Checks;
using Portal.Core.Features.Compare;
using Portal.Core.Jobs;

namespace Portal.Core.Features.Validation;

public static class ValidationServiceCollectionExtensions
{
    /// <summary>Validation rules and results, compare reports, the jobs that make them, and the promotion checks that read them.</summary>
    public static IServiceCollection AddValidationFeature(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ValidationOptions>().Bind(configuration.GetSection(ValidationOptions.Section))
            .Validate(o => PiiScanner.ParseRegions(o.PhoneRegions).All(PiiScanner.IsPhoneRegion),
                "Validation:PhoneRegions names a region libphonenumber does not know; use ISO 3166 two-letter codes such as US, GB, DE.")
            .ValidateOnStart();
        services.AddSingleton(sp => new PiiScanner(PiiScanner.ParseRegions(sp.GetRequiredService<IOptions<ValidationOptions>>().Value.PhoneRegions)));
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
