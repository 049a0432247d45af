using System.Net.Http.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Features.Access;

namespace Portal.E2E.Tests;

/// <summary>
/// The portal configured for a real OpenID Connect provider (oidc-provider from <c>infra/scripts/start-oidc.sh</c>,
/// whose issuer is in <c>PORTAL_TEST_OIDC</c>): groups team-a → Contributor and team-b → Viewer in project
/// <see cref="Project"/>, ml-admins → site admin.
/// </summary>
public sealed class OidcBrowserApp() : BrowserApp(new Dictionary<string, string?>
{
    ["Authentication:Oidc:Authority"] = Issuer ?? "",
    ["Authentication:Oidc:ClientId"] = "portal",
    ["Authentication:Oidc:ClientSecret"] = "portal-test-secret",
    ["Authentication:Oidc:DisplayName"] = "Test IdP",
    ["Authentication:Oidc:RequireHttpsMetadata"] = "false",
    ["Authentication:Oidc:Scopes:0"] = "openid",
    ["Authentication:Oidc:Scopes:1"] = "email",
    ["Authentication:Oidc:Scopes:2"] = "profile",
    ["Authentication:Oidc:Scopes:3"] = "groups",
    ["Authentication:Oidc:RoleMappings:0:Group"] = "team-a",
    ["Authentication:Oidc:RoleMappings:0:Project"] = Project,
    ["Authentication:Oidc:RoleMappings:0:Role"] = "Contributor",
    ["Authentication:Oidc:RoleMappings:1:Group"] = "team-b",
    ["Authentication:Oidc:RoleMappings:1:Project"] = Project,
    ["Authentication:Oidc:RoleMappings:1:Role"] = "Viewer",
    ["Authentication:Oidc:RoleMappings:2:Group"] = "ml-admins",
    ["Authentication:Oidc:RoleMappings:2:SiteAdmin"] = "true",
})
{
    public const string Project = "oidc-team";

    public static string? Issuer => Environment.GetEnvironmentVariable("PORTAL_TEST_OIDC") is { Length: > 0 } issuer ? issuer.TrimEnd('/') : null;

    public static string? OidcUnavailableReason => UnavailableReason
        ?? (Issuer is null ? "No OpenID Connect provider: run eval \"$(infra/scripts/start-oidc.sh)\" to set PORTAL_TEST_OIDC." : null);

    /// <summary>Sets what the provider says about a login (its test-only route); the login name is the subject.</summary>
    public static async Task SetAccountAsync(string login, string email, params string[] groups)
    {
        using var http = new HttpClient();
        var response = await http.PutAsJsonAsync($"{Issuer}/test/accounts/{login}",
            new Dictionary<string, object> { ["email"] = email, ["email_verified"] = true, ["name"] = "Casey Oidc", ["groups"] = groups });
        response.EnsureSuccessStatusCode();
    }
}

public sealed class OidcSignInJourneyTests(OidcBrowserApp browser) : IClassFixture<OidcBrowserApp>
{
    [SkippableFact]
    public async Task Sign_in_through_the_provider_provisions_the_user_with_the_mapped_role_and_the_next_sign_in_follows_the_groups()
    {
        Skip.If(OidcBrowserApp.OidcUnavailableReason is not null, OidcBrowserApp.OidcUnavailableReason);
        var owner = await browser.App.Data.CreateUserAsync("owner");
        await browser.App.Data.CreateProjectAsync(owner, OidcBrowserApp.Project);
        var login = "casey-" + Guid.NewGuid().ToString("N")[..8];
        var email = login + "@oidc.test";
        await OidcBrowserApp.SetAccountAsync(login, email, "team-a", "unrelated-group");

        var page = await browser.NewPageAsync();
        await SignInThroughProviderAsync(page, login, "10-oidc");
        await BrowserApp.GotoInteractiveAsync(page, $"/projects/{OidcBrowserApp.Project}");
        await Assertions.Expect(page.Locator("#page-title")).ToHaveTextAsync($"Project {OidcBrowserApp.Project}");
        await Assertions.Expect(page.Locator(".portal-page-header .portal-role-chip")).ToHaveTextAsync("Contributor");
        await Assertions.Expect(page.Locator("[data-testid=user-menu]")).ToContainTextAsync("Casey Oidc");
        await BrowserApp.ScreenshotAsync(page, "10-oidc-03-provisioned-contributor");

        var user = await browser.App.WithServicesAsync(sp => sp.GetRequiredService<UserManager<PortalUser>>().FindByLoginAsync(OidcBrowserApp.Issuer!, login));
        Assert.NotNull(user);
        Assert.Equal(email, user.Email);
        Assert.False(user.IsSiteAdmin);
        await page.Context.CloseAsync();

        // The provider moves the person from team-a to team-b; the next sign-in follows.
        await OidcBrowserApp.SetAccountAsync(login, email, "team-b");
        var second = await browser.NewPageAsync();
        await SignInThroughProviderAsync(second, login, "10-oidc-second");
        await BrowserApp.GotoInteractiveAsync(second, $"/projects/{OidcBrowserApp.Project}");
        await Assertions.Expect(second.Locator(".portal-page-header .portal-role-chip")).ToHaveTextAsync("Viewer");
        await BrowserApp.ScreenshotAsync(second, "10-oidc-04-second-sign-in-viewer");
        var again = await browser.App.WithServicesAsync(sp => sp.GetRequiredService<UserManager<PortalUser>>().FindByLoginAsync(OidcBrowserApp.Issuer!, login));
        Assert.Equal(user.Id, again!.Id);
        Assert.False(again.IsSiteAdmin);
        await second.Context.CloseAsync();
    }

    private async Task SignInThroughProviderAsync(IPage page, string login, string screenshotPrefix)
    {
        await page.GotoAsync("/account/login?returnUrl=%2Fprojects");
        var button = page.Locator("[data-testid=oidc-sign-in]");
        await Assertions.Expect(button).ToHaveTextAsync("Sign in with Test IdP");
        await BrowserApp.ScreenshotAsync(page, screenshotPrefix + "-01-portal-login");
        await button.ClickAsync();

        // The provider's own login form (oidc-provider's development interaction).
        await page.WaitForURLAsync(url => url.StartsWith(OidcBrowserApp.Issuer + "/interaction/", StringComparison.Ordinal));
        await page.FillAsync("input[name=login]", login);
        await page.FillAsync("input[name=password]", "any-password");
        await BrowserApp.ScreenshotAsync(page, screenshotPrefix + "-02-provider-login");
        await page.ClickAsync("button[type=submit]");

        // Then its consent screen, which it always shows for a native client.
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Authorize");
        await page.ClickAsync("button[type=submit]");

        await page.WaitForURLAsync(url => url.StartsWith(browser.BaseUrl + "/projects", StringComparison.Ordinal));
        await BrowserApp.WaitForInteractiveAsync(page);
    }
}
