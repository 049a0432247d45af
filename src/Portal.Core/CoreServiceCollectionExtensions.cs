using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Changes;
using Portal.Core.Features.Lineage;
using Portal.Core.Features.Registry;
using Portal.Core.Features.Maintenance;
using Portal.Core.Features.Auditing;
using Portal.Core.Features.Evidence;
using Portal.Core.Features.Home;
using Portal.Core.Features.Notifications;
using Portal.Core.Features.Projects;
using Portal.Core.Features.Evaluations;
using Portal.Core.Features.Promotions;
using Portal.Core.Features.Runs;
using Portal.Core.Features.Search;
using Portal.Core.Features.Webhooks;
using Portal.Core.Features.Validation;
using Portal.Core.Features.Ingestions;
using Portal.Core.Features.Reports;
using Portal.Core.Features.Automations;

namespace Portal.Core;

public static class CoreServiceCollectionExtensions
{
    /// <summary>Everything in Portal.Core: database, use cases, storage and jobs.</summary>
    public static IServiceCollection AddPortalCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddPortalDatabase();
        services.AddAccessFeature(configuration);
        services.AddProjectsFeature();
        services.AddArtifactsFeature(configuration);
        services.AddRunsFeature();
        services.AddNotificationsFeature(configuration);
        services.AddLineageFeature();
        services.AddRegistryFeature();
        services.AddSearchFeature();
        services.AddPromotionsFeature();
        services.AddEvaluationsFeature();
        services.AddWebhooksFeature(configuration);
        services.AddAutomationsFeature(configuration);
        services.AddAuditingFeature();
        services.AddEvidenceFeature();
        services.AddValidationFeature(configuration);
        services.AddIngestionsFeature(configuration);
        services.AddReportsFeature(configuration);
        services.AddMaintenanceFeature(configuration);
        services.AddChangesFeature();
        services.AddHostedService<Jobs.RecurringJobs>();
        return services;
    }

    public static IServiceCollection AddNotificationsFeature(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<EmailOptions>(configuration, EmailOptions.Section);
        services.AddSingleton<IEmailSender, MailKitEmailSender>();
        return services;
    }

    public static IServiceCollection AddAccessFeature(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<BootstrapOptions>(configuration, BootstrapOptions.Section);
        services.AddScoped<ApiTokens>();
        services.AddScoped<ProjectAccess>();
        services.AddScoped<ProjectMembers>();
        services.AddScoped<Users>();
        services.AddScoped<Bootstrap>();
        services.AddScoped<IAuthorizationHandler, ProjectRoleHandler>();
        services.Configure<OidcOptions>(configuration.GetSection(OidcOptions.Section));
        services.AddScoped<ExternalSignIn>();
        return services;
    }

    public static IServiceCollection AddProjectsFeature(this IServiceCollection services)
    {
        services.AddScoped<Projects>();
        services.AddScoped<ProjectDashboard>();
        services.AddScoped<HomeDashboard>();
        services.AddScoped<Pins>();
        services.AddScoped<DemoData>();
        return services;
    }

    public static IServiceCollection AddRunsFeature(this IServiceCollection services)
    {
        services.AddScoped<Runs>();
        services.AddScoped<RunMetrics>();
        services.AddScoped<RunLineage>();
        services.AddScoped<IDemoDataContributor, DemoRuns>();
        return services;
    }
}
