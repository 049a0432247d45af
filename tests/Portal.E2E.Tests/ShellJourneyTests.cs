using System.Text.RegularExpressions;

namespace Portal.E2E.Tests;

public sealed class ShellJourneyTests(BrowserApp browser) : IClassFixture<BrowserApp>
{
    [SkippableFact]
    public async Task Sign_in_create_a_project_and_add_a_member()
    {
        Skip.If(BrowserApp.UnavailableReason is not null, BrowserApp.UnavailableReason);
        var colleague = await browser.App.Data.CreateUserAsync("colleague");
        var page = await browser.NewPageAsync();

        await page.GotoAsync("/account/login");
        await BrowserApp.ScreenshotAsync(page, "01-sign-in");
        await page.FillAsync("#email", PortalApp.AdminEmail);
        await page.FillAsync("#password", "wrong-password");
        await page.ClickAsync("button[type=submit]");
        await Assertions.Expect(page.Locator(".account-error")).ToContainTextAsync("not right");

        await browser.SignInAsync(page, PortalApp.AdminEmail, PortalApp.AdminPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/projects$"));
        await Assertions.Expect(page.Locator("#page-title")).ToHaveTextAsync("Projects");
        await BrowserApp.ScreenshotAsync(page, "02-projects-empty");

        await page.ClickAsync("[data-testid=new-project]");
        await BrowserApp.Field(page, "project-name").FillAsync("Fraud model");
        await Assertions.Expect(BrowserApp.Field(page, "project-slug")).ToHaveValueAsync("fraud-model");
        await BrowserApp.ScreenshotAsync(page, "03-create-project-dialog");
        await Assertions.Expect(page.Locator("[data-testid=create-project]")).ToBeEnabledAsync();
        await page.ClickAsync("[data-testid=create-project]");
        // The dialog navigates inside the circuit (history.pushState), so poll the address rather than wait for a load.
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/projects/fraud-model$"), new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#page-title")).ToHaveTextAsync("Fraud model");

        await page.GetByRole(AriaRole.Tab, new() { Name = "Members" }).ClickAsync();
        await BrowserApp.Field(page, "member-email").FillAsync(colleague.Email);
        await page.ClickAsync("[data-testid=add-member]");
        await Assertions.Expect(page.Locator("[data-testid=members-table]")).ToContainTextAsync(colleague.Email);
        await BrowserApp.ScreenshotAsync(page, "04-project-members");

        await BrowserApp.GotoInteractiveAsync(page, "/projects");
        await Assertions.Expect(page.Locator("[data-testid=project-card]")).ToContainTextAsync("Fraud model");
        await BrowserApp.ScreenshotAsync(page, "05-projects");
    }

    [SkippableFact]
    public async Task Create_an_api_token_in_settings_and_use_it()
    {
        Skip.If(BrowserApp.UnavailableReason is not null, BrowserApp.UnavailableReason);
        var user = await browser.App.Data.CreateUserAsync("tokens");
        var page = await browser.NewPageAsync();
        await browser.SignInAsync(page, user.Email, user.Password);
        await BrowserApp.GotoInteractiveAsync(page, "/settings");
        await BrowserApp.Field(page, "token-name").FillAsync("laptop");
        await page.ClickAsync("[data-testid=create-token]");
        var secret = (await page.Locator("[data-testid=token-secret] code").InnerTextAsync()).Trim();
        Assert.StartsWith("ptl_", secret, StringComparison.Ordinal);
        await BrowserApp.ScreenshotAsync(page, "06-settings-token");

        using var http = new HttpClient { BaseAddress = new Uri(browser.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", secret);
        var me = await http.GetStringAsync("/api/v1/me");
        Assert.Contains(user.Email, me, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Sign_out_from_the_user_menu()
    {
        Skip.If(BrowserApp.UnavailableReason is not null, BrowserApp.UnavailableReason);
        var user = await browser.App.Data.CreateUserAsync("leaving");
        var page = await browser.NewPageAsync();
        await browser.SignInAsync(page, user.Email, user.Password);

        await page.ClickAsync("[data-testid=user-menu]");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/account/login$"));
        await page.GotoAsync("/projects");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/account/login"));
    }

    [SkippableFact]
    public async Task A_script_in_a_signed_in_page_writes_through_the_api_only_with_the_antiforgery_token()
    {
        Skip.If(BrowserApp.UnavailableReason is not null, BrowserApp.UnavailableReason);
        var user = await browser.App.Data.CreateUserAsync("scripted");
        var page = await browser.NewPageAsync();
        await browser.SignInAsync(page, user.Email, user.Password);

        var statuses = await page.EvaluateAsync<int[]>("""
            async () => {
                const create = headers => fetch('/api/v1/me/tokens', {
                    method: 'POST',
                    headers: { 'Content-Type': 'application/json', ...headers },
                    body: JSON.stringify({ name: 'from a page script' }),
                });
                const without = await create({});
                const { headerName, token } = await (await fetch('/api/v1/me/antiforgery')).json();
                const withToken = await create({ [headerName]: token });
                return [without.status, withToken.status];
            }
            """);
        Assert.Equal([400, 201], statuses);
    }

    [SkippableFact]
    public async Task A_non_member_sees_a_finished_not_found_state()
    {
        Skip.If(BrowserApp.UnavailableReason is not null, BrowserApp.UnavailableReason);
        var user = await browser.App.Data.CreateUserAsync("stranger");
        var page = await browser.NewPageAsync();
        await browser.SignInAsync(page, user.Email, user.Password);
        await BrowserApp.GotoInteractiveAsync(page, "/projects/somebody-elses");
        await Assertions.Expect(page.GetByText("you are not a member of it")).ToBeVisibleAsync();
        await BrowserApp.ScreenshotAsync(page, "07-project-not-found");
    }
}
