using Scalar.AspNetCore;

namespace Portal.Web.Infrastructure;

public static class OpenApi
{
    public static IServiceCollection AddPortalOpenApi(this IServiceCollection services)
    {
        services.AddOpenApi("v1", o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Portal API";
            document.Info.Description = "Log runs and artifact versions, read lineage and promote versions. Authenticate with 'Authorization: Bearer <token>'.";
            return Task.CompletedTask;
        }));
        return services;
    }

    /// <summary>The OpenAPI document at <c>/openapi/v1.json</c> and the Scalar reference at <c>/api/docs</c>.</summary>
    public static IEndpointRouteBuilder MapPortalOpenApi(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapPortalApiReference();
        return app;
    }
}
