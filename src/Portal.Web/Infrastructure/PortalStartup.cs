using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Core.Data;
using Portal.Core.Features.Access;

namespace Portal.Web.Infrastructure;

public sealed class PortalOptions
{
    public const string Section = "Portal";

    /// <summary>Seed the demo project and users (default: on in Development).</summary>
    public bool? SeedDemoData { get; set; }
}

public static class PortalStartup
{
    /// <summary>Migrates (when configured), creates the first admin, seeds demo data and prints how to sign in.</summary>
    public static async Task InitializePortalAsync(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Portal.Startup");
        var database = app.Services.GetRequiredService<DatabaseOptions>();
        var bootstrapOptions = app.Services.GetRequiredService<IOptions<BootstrapOptions>>().Value;
        Bootstrap.ValidateOptions(bootstrapOptions);

        await using var scope = app.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        if (database.ShouldMigrateOnStartup)
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            await db.Database.MigrateAsync();
        }

        var result = await services.GetRequiredService<Bootstrap>().RunAsync(bootstrapOptions);
        var portalOptions = app.Configuration.GetSection(PortalOptions.Section).Get<PortalOptions>() ?? new PortalOptions();
        IReadOnlyList<DemoLogin> demoLogins = [];
        if (portalOptions.SeedDemoData ?? app.Environment.IsDevelopment())
            demoLogins = await services.GetRequiredService<DemoData>().SeedAsync(result.AdminEmail);

        if (result.GeneratedPassword is not null || demoLogins.Count > 0)
        {
            app.Lifetime.ApplicationStarted.Register(() =>
            {
                var url = app.Urls.FirstOrDefault() ?? "http://localhost:5000";
                var lines = new List<string> { "", "Portal is ready: " + url };
                if (result.GeneratedPassword is not null)
                    lines.Add($"  Sign in as {result.AdminEmail} with password {result.GeneratedPassword}  (site admin; shown once)");
                foreach (var login in demoLogins)
                    lines.Add($"  Demo {login.Role.ToLowerInvariant()}: {login.Email} / {login.Password}");
                lines.Add("");
                // Written to the console directly so the one-time credentials are seen whatever the log level.
                Console.WriteLine(string.Join(Environment.NewLine, lines));
            });
        }

        logger.LogInformation("Portal initialised on {Provider}", database.Provider);
    }
}
