using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor.Services;
using Portal.Web.Components;

namespace Portal.Web.Infrastructure;

public static class WebPipeline
{
    public static IServiceCollection AddPortalUi(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices(o => o.SnackbarConfiguration.PositionClass = MudBlazor.Defaults.Classes.Position.BottomRight);
        services.AddHttpContextAccessor();
        // Sign-in cookies must survive restarts and be readable by every replica: keep the key ring in a shared
        // folder (beside the database by default) instead of the process's memory.
        services.AddOptions<KeyManagementOptions>().Configure<IConfiguration, IHostEnvironment>((o, configuration, environment) =>
        {
            var folder = configuration["DataProtection:KeysFolder"] is { Length: > 0 } configured
                ? configured
                : Path.Combine(environment.ContentRootPath, "data", "keys");
            Directory.CreateDirectory(folder);
            o.XmlRepository = new Microsoft.AspNetCore.DataProtection.Repositories.FileSystemXmlRepository(new DirectoryInfo(folder), NullLoggerFactory.Instance);
        });
        services.AddDataProtection().SetApplicationName("Portal");
        return services;
    }

    public static WebApplication UsePortalPipeline(this WebApplication app)
    {
        app.UsePortalForwardedHeaders();
        app.UsePortalSecurityHeaders();
        app.UseExceptionHandler();
        // Browsers get the portal's not-found page; programs get problem details (the inner handler writes a body,
        // so the outer one leaves API responses alone).
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseWhen(ctx => ApiAuthResponses.IsApiRequest(ctx.Request), api => api.UseStatusCodePages());
        // Only on HTTPS requests (as reported by a trusted proxy when one terminates TLS), and never for localhost.
        if (!app.Environment.IsDevelopment())
            app.UseHsts();
        app.UseStaticFiles();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UsePortalRateLimits();
        app.UseAntiforgery();
        app.UsePortalApiAntiforgery();
        return app;
    }

    public static WebApplication MapPortalUi(this WebApplication app)
    {
        app.MapStaticAssets();
        // The portal's own policy (SecurityHeaders) forbids framing entirely; Blazor's default would allow 'self'.
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = null);
        app.MapAccountEndpoints();
        return app;
    }
}
