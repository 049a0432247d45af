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
        return services;
    }

    public static WebApplication UsePortalPipeline(this WebApplication app)
    {
        app.UseExceptionHandler();
        // Browsers get the portal's not-found page; programs get problem details (the inner handler writes a body,
        // so the outer one leaves API responses alone).
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseWhen(ctx => ApiAuthResponses.IsApiRequest(ctx.Request), api => api.UseStatusCodePages());
        if (!app.Environment.IsDevelopment())
            app.UseHsts();
        app.UseStaticFiles();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        return app;
    }

    public static WebApplication MapPortalUi(this WebApplication app)
    {
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.MapAccountEndpoints();
        return app;
    }
}
