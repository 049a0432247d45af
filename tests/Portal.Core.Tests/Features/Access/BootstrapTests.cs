using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.TestCommon;

namespace Portal.Core.Tests.Features.Access;

public abstract class BootstrapTests(PortalApp app)
{
    [SkippableFact]
    public async Task First_start_created_one_site_admin_with_the_configured_token()
    {
        app.SkipIfUnavailable();
        await app.WithServicesAsync<object?>(async services =>
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            var admin = await db.Users.SingleAsync(u => u.Email == PortalApp.AdminEmail);
            Assert.True(admin.IsSiteAdmin);
            var user = await services.GetRequiredService<ApiTokens>().AuthenticateAsync(PortalApp.AdminToken);
            Assert.Equal(admin.Id, user?.Id);
            return null;
        });
    }

    [SkippableFact]
    public async Task Running_the_bootstrap_again_creates_nothing_new()
    {
        app.SkipIfUnavailable();
        await app.WithServicesAsync<object?>(async services =>
        {
            var bootstrap = services.GetRequiredService<Bootstrap>();
            var result = await bootstrap.RunAsync(new BootstrapOptions { AdminEmail = PortalApp.AdminEmail, AdminApiToken = PortalApp.AdminToken });
            Assert.False(result.AdminCreated);
            Assert.Null(result.GeneratedPassword);
            await using var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            Assert.Equal(1, await db.ApiTokens.CountAsync(t => t.Hash == ApiTokens.Hash(PortalApp.AdminToken)));
            Assert.Equal(1, await db.Users.CountAsync(u => u.Email == PortalApp.AdminEmail));
            return null;
        });
    }
}

public sealed class BootstrapTests_Sqlite(SqliteApp app) : BootstrapTests(app), IClassFixture<SqliteApp>;

public sealed class BootstrapTests_Postgres(PostgresApp app) : BootstrapTests(app), IClassFixture<PostgresApp>;

public sealed class BootstrapTests_SqlServer(SqlServerApp app) : BootstrapTests(app), IClassFixture<SqlServerApp>;

/// <summary>An empty database with no configured password: the admin gets a random one, returned once.</summary>
public sealed class BootstrapWithoutPasswordTests : IAsyncLifetime
{
    private readonly GeneratedPasswordApp _app = new();

    public Task InitializeAsync() => _app.InitializeAsync();

    public async Task DisposeAsync() => await ((IAsyncLifetime)_app).DisposeAsync();

    [Fact]
    public async Task A_random_password_is_generated_and_works()
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var bootstrap = scope.ServiceProvider.GetRequiredService<Bootstrap>();
        var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<PortalUser>>();
        // The fixture started with a password configured; a second admin e-mail on a fresh database is simulated by
        // deleting every account first.
        await using (var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync())
        {
            await db.ApiTokens.ExecuteDeleteAsync();
            await db.Memberships.ExecuteDeleteAsync();
            await db.Users.ExecuteDeleteAsync();
        }

        var result = await bootstrap.RunAsync(new BootstrapOptions { AdminEmail = "first@tests.local" });
        Assert.True(result.AdminCreated);
        Assert.NotNull(result.GeneratedPassword);
        Assert.True(result.GeneratedPassword!.Length >= 16);
        var admin = await users.FindByEmailAsync("first@tests.local");
        Assert.NotNull(admin);
        Assert.True(admin!.IsSiteAdmin);
        Assert.True(await users.CheckPasswordAsync(admin, result.GeneratedPassword));
    }

    private sealed class GeneratedPasswordApp() : PortalApp(DatabaseProvider.Sqlite);
}
