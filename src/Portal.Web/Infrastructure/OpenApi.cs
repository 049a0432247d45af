using Scalar.AspNetCore;

namespace Portal.Web.Infrastructure;

public static class OpenApi
{
    public static IServiceCollection AddPortalOpenApi(this IServiceCollection services)
    {
        services.AddOpenApi("v1", o => o
            .AddPortalSecurity()
            .AddPortalProblems()
            .AddPortalSchemas()
            .AddPortalParameters()
            .AddOperationTransformer((operation, context, _) =>
            {
                // The health probe is mapped outside the API group and carries no summary of its own.
                if (context.Description.RelativePath == "healthz")
                    operation.Summary ??= "200 when the database answers, 503 otherwise. Anonymous, for load balancers and probes.";
                return Task.CompletedTask;
            })
            .AddDocumentTransformer((document, _, _) =>
            {
                // The server entry is the address the document was asked at; without the trailing slash, so that
                // paths (which start with one) join it cleanly.
                foreach (var server in document.Servers ?? [])
                    server.Url = server.Url?.TrimEnd('/');
                document.Info.Title = "Portal API";
                document.Info.Description = "Log runs and artifact versions, read lineage and promote versions. Authenticate with 'Authorization: Bearer <token>'; "
                    + "failures are problem details with a stable code (docs/openapi.md).";
                return Task.CompletedTask;
            }));
        return services;
    }

    /// <summary>The OpenAPI document at <c>/openapi/v1.json</c> and the Scalar reference at <c>/api/docs</c>.</summary>
    public static IEndpointRouteBuilder MapPortalOpenApi(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapScalarApiReference("/api/docs", o => o.WithTitle("Portal API").WithOpenApiRoutePattern("/openapi/{documentName}.json")).AllowAnonymous();
        return app;
    }
}
