using Scalar.AspNetCore;

namespace Portal.Web.Infrastructure;

/// <summary>
/// The Scalar API reference at <c>/api/docs</c>, self-contained: its script is served by the portal, the browser's
/// own fonts replace the CDN ones, and the buttons that lead to Scalar's hosted services (AI chat, MCP, client
/// downloads, developer tools, telemetry) are off, so the page makes no request to another host.
/// </summary>
public static class ApiReference
{
    public static IEndpointRouteBuilder MapPortalApiReference(this IEndpointRouteBuilder app)
    {
        app.MapScalarApiReference("/api/docs", o => o
                .WithTitle("Portal API")
                .WithOpenApiRoutePattern("/openapi/{documentName}.json")
                .DisableDefaultFonts()
                .DisableAgent()
                .DisableMcp()
                .DisableTelemetry()
                .HideClientButton()
                .HideDeveloperTools()
                .WithDefaultHttpClient(ScalarTarget.Shell, ScalarClient.Curl))
            .AllowAnonymous();
        return app;
    }
}
