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

        if (database.Provider == DatabaseProvider.SqlServer)
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            await SnapshotIsolation.CheckAsync(db, logger);
        }

        var result = await services.GetRequiredService<Bootstrap>().RunAsync(bootstrapOptions);
        var portalOptions = app.Configuration.GetSection(PortalOptions.Section).Get<PortalOptions>() ?? new PortalOptions();
        var demoEnabled = portalOptions.SeedDemoData ?? app.Environment.IsDevelopment();
        IReadOnlyList<DemoLogin> demoLogins = demoEnabled ? await services.GetRequiredService<DemoData>().SeedAsync(result.AdminEmail) : [];
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            // Written to the console directly, on every start, so the address and the way in are seen whatever the log level.
            var url = app.Urls.FirstOrDefault() ?? "http://localhost:5000";
            Console.WriteLine(string.Join(Environment.NewLine, ReadyBanner(url, result, demoEnabled, demoLogins)));
        });

        logger.LogInformation("Portal initialised on {Provider}", database.Provider);
    }

    /// <summary>
    /// What a start prints: the address and how to sign in. The first start shows the generated passwords (once);
    /// later starts say who the admin is and how to get a new password, since the old one is not kept in clear.
    /// </summary>
    internal static IReadOnlyList<string> ReadyBanner(string url, BootstrapResult result, bool demoEnabled, IReadOnlyList<DemoLogin> demoLogins)
    {
        var lines = new List<string> { "", "Portal is ready: " + url };
        if (result.GeneratedPassword is not null)
        {
            lines.Add($"  Sign in as {result.AdminEmail} with password {result.GeneratedPassword}  (site admin; shown once)");
        }
        else
        {
            lines.Add($"  Sign in as {result.AdminEmail} (site admin) with the password printed at the first start or set in Portal:Bootstrap:AdminPassword.");
            lines.Add($"  Lost it? Stop the portal and run: dotnet run --project src/Portal.Web -- reset-password {result.AdminEmail}");
        }

        foreach (var login in demoLogins)
            lines.Add($"  Demo {login.Role.ToLowerInvariant()}: {login.Email} / {login.Password}");
        if (demoEnabled && demoLogins.Count == 0)
            lines.Add("  Demo users reviewer@portal.local and contributor@portal.local: passwords as printed at the first start (reset-password gives new ones).");
        lines.Add("");
        return lines;
    }
}
