using Microsoft.Extensions.DependencyInjection;

namespace Portal.Core.Features.Promotions;

public static class PromotionsServiceCollectionExtensions
{
    /// <summary>Promotion policies (protected aliases), requests with approvals and rollback, the approval queue, and their e-mail.</summary>
    public static IServiceCollection AddPromotionsFeature(this IServiceCollection services)
    {
        services.AddScoped<PromotionPolicies>();
        services.AddScoped<PromotionChecks>();
        services.AddScoped<PromotionNotifications>();
        services.AddScoped<PromotionSteps>();
        services.AddScoped<RequestPromotion>();
        services.AddScoped<DecidePromotion>();
        services.AddScoped<ApplyPromotion>();
        services.AddScoped<PromotionQueries>();
        services.AddScoped<PromotionQueueSignal>();
        services.AddScoped<Data.IDemoDataContributor, DemoPromotions>();
        return services;
    }
}
