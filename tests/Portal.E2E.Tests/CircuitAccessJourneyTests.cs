using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Features.Access;

namespace Portal.E2E.Tests;

/// <summary>The portal with circuits (and cookies) re-checking access every two seconds instead of every minute.</summary>
public sealed class QuickRevalidationBrowserApp() : BrowserApp(new Dictionary<string, string?>
{
    ["Authentication:RevalidationInterval"] = Interval.ToString(),
})
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
}

/// <summary>
/// Access taken away while a page is open in a live circuit: a removed member sees the forbidden state without
/// reloading, a lowered role re-renders the page for the new role, and a changed security stamp ends the session.
/// </summary>
public sealed class CircuitAccessJourneyTests(QuickRevalidationBrowserApp browser) : IClassFixture<QuickRevalidationBrowserApp>
{
    /// <summary>Well past the interval (plus a slow shared machine), far short of the default minute.</summary>
    private static readonly float Within = (float)(QuickRevalidationBrowserApp.Interval * 5).TotalMilliseconds;

    [SkippableFact]
    public async Task A_member_removed_through_the_api_loses_the_open_project_page_without_a_reload()
    {
        Skip.If(BrowserApp.UnavailableReason is not null, BrowserApp.UnavailableReason);
        var team = await browser.App.Data.CreateProjectWithTeamAsync();
        var page = await browser.NewPageAsync();
        await browser.SignInAsync(page, team.Viewer.Email, team.Viewer.Password);
        await BrowserApp.GotoInteractiveAsync(page, $"/projects/{team.Slug}");
        await Assertions.Expect(page.Locator("#page-title")).ToHaveTextAsync(team.Project.Name);
        // Survives only as long as the document does: a reload would clear it.
        await page.EvaluateAsync("() => { window.portalNoReload = true; }");

        using var admin = Api(team.Admin.Token);
        var removed = await admin.DeleteAsync($"/api/v1/projects/{team.Slug}/members/{team.Viewer.Id}");
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);

        await Assertions.Expect(page.Locator("[data-testid=access-lost]")).ToContainTextAsync($"no longer a member of project '{team.Slug}'", new() { Timeout = Within });
        Assert.True(await page.EvaluateAsync<bool>("() => window.portalNoReload === true"));
        await Assertions.Expect(page.Locator("#page-title")).ToHaveCountAsync(0);
        await BrowserApp.ScreenshotAsync(page, "70-circuit-member-removed");

        // The removed member's next requests are refused too: API with their token, and a fresh page load.
        using var removedMember = Api(team.Viewer.Token);
        var problem = await removedMember.GetAsync($"/api/v1/projects/{team.Slug}");
        Assert.Equal(HttpStatusCode.NotFound, problem.StatusCode);
        Assert.Contains(ErrorCodes.ProjectNotFound, await problem.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await BrowserApp.GotoInteractiveAsync(page, $"/projects/{team.Slug}");
        await Assertions.Expect(page.Locator(".portal-state")).ToContainTextAsync("You don't have access here");
        await page.Context.CloseAsync();
    }

    [SkippableFact]
    public async Task A_role_lowered_below_what_the_open_page_needs_shows_the_forbidden_state()
    {
        Skip.If(BrowserApp.UnavailableReason is not null, BrowserApp.UnavailableReason);
        var team = await browser.App.Data.CreateProjectWithTeamAsync();
        using var admin = Api(team.Admin.Token);
        var promoted = await admin.PutAsJsonAsync($"/api/v1/projects/{team.Slug}/members/{team.Reviewer.Id}", new ChangeProjectMemberRoleRequest("Admin"));
        Assert.Equal(HttpStatusCode.OK, promoted.StatusCode);
        var page = await browser.NewPageAsync();
        await browser.SignInAsync(page, team.Reviewer.Email, team.Reviewer.Password);
        await BrowserApp.GotoInteractiveAsync(page, $"/projects/{team.Slug}/webhooks");
        await Assertions.Expect(page.Locator(".portal-state")).ToHaveCountAsync(0);

        var lowered = await admin.PutAsJsonAsync($"/api/v1/projects/{team.Slug}/members/{team.Reviewer.Id}", new ChangeProjectMemberRoleRequest("Reviewer"));
        Assert.Equal(HttpStatusCode.OK, lowered.StatusCode);

        await Assertions.Expect(page.Locator(".portal-state")).ToContainTextAsync("Only project admins manage webhooks", new() { Timeout = Within });
        await BrowserApp.ScreenshotAsync(page, "71-circuit-role-lowered");
        await page.Context.CloseAsync();
    }

    [SkippableFact]
    public async Task A_password_reset_ends_the_open_circuits_session()
    {
        Skip.If(BrowserApp.UnavailableReason is not null, BrowserApp.UnavailableReason);
        var team = await browser.App.Data.CreateProjectWithTeamAsync();
        var page = await browser.NewPageAsync();
        await browser.SignInAsync(page, team.Contributor.Email, team.Contributor.Password);
        await BrowserApp.GotoInteractiveAsync(page, $"/projects/{team.Slug}");
        await Assertions.Expect(page.Locator("#page-title")).ToHaveTextAsync(team.Project.Name);

        // A password reset changes the security stamp, as an admin's forced sign-out would.
        await browser.App.WithServicesAsync(async sp =>
        {
            var users = sp.GetRequiredService<UserManager<PortalUser>>();
            var user = await users.FindByIdAsync(team.Contributor.Id) ?? throw new InvalidOperationException("user gone");
            var reset = await users.ResetPasswordAsync(user, await users.GeneratePasswordResetTokenAsync(user), "Another-password-456");
            Assert.True(reset.Succeeded);
            return 0;
        });

        await page.WaitForURLAsync(url => url.Contains("/account/login", StringComparison.Ordinal), new() { Timeout = Within });
        await BrowserApp.ScreenshotAsync(page, "72-circuit-stamp-changed");
        // The cookie is refused as well: the next page load asks for a sign-in again.
        await page.GotoAsync($"/projects/{team.Slug}");
        await page.WaitForURLAsync(url => url.Contains("/account/login", StringComparison.Ordinal));
        await page.Context.CloseAsync();
    }

    private HttpClient Api(string token)
    {
        var client = new HttpClient { BaseAddress = new Uri(browser.BaseUrl + "/") };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
