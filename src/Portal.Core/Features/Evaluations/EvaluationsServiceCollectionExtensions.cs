using Microsoft.Extensions.DependencyInjection;

namespace Portal.Core.Features.Evaluations;

public static class EvaluationsServiceCollectionExtensions
{
    /// <summary>Evaluations of versions on pinned eval-set versions: logging, the matrix, comparison and attribution.</summary>
    public static IServiceCollection AddEvaluationsFeature(this IServiceCollection services)
    {
        services.AddScoped<LogEvaluation>();
        services.AddScoped<EvaluationQueries>();
        services.AddScoped<EvaluationMatrix>();
        services.AddScoped<CompareEvaluations>();
        services.AddScoped<Data.IDemoDataContributor, DemoEvaluations>();
        return services;
    }
}
