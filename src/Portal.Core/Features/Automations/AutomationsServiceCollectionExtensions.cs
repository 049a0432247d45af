using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Portal.Core.Features.Automations;

public static class AutomationsServiceCollectionExtensions
{
    /// <summary>Automations: rule management, and the job that runs a rule's action for one event (the webhook dispatcher creates the runs).</summary>
    public static IServiceCollection AddAutomationsFeature(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<AutomationOptions>(configuration, AutomationOptions.Section);
        services.AddScoped<Automations>();
        services.AddScoped<AutomationRunJob>();
        services.AddSingleton<IAutomationJobs, HangfireAutomationJobs>();
        services.AddScoped<Data.IDemoDataContributor, DemoAutomations>();
        return services;
    }
}
