namespace Portal.E2E.Tests;

/// <summary>
/// A project admin adds a webhook, sends a test to a real listener and reads the delivery log; a site admin reads the
/// audit log, filters it to the project and verifies the chain.
/// </summary>
public sealed class WebhooksAuditJourneyTests(BrowserApp browser) : IClassFixture<BrowserApp>
{
    [SkippableFact]
    public async Task Admin_adds_a_webhook_sends_a_test_and_the_site_admin_verifies_the_audit_chain()
    {
        Skip.If(BrowserApp.UnavailableReason is not null, BrowserApp.UnavailableReason);
        await using var receiver = await WebhookReceiver.StartAsync();
        var team = await browser.App.Data.CreateProjectWithTeamAsync();
        var page = await browser.NewPageAsync();
        await browser.SignInAsync(page, team.Admin.Email, team.Admin.Password);

        await BrowserApp.GotoInteractiveAsync(page, $"/projects/{team.Slug}");
        await page.ClickAsync("[data-testid=project-webhooks]");
        await page.WaitForURLAsync($"**/projects/{team.Slug}/webhooks");
        await BrowserApp.WaitForInteractiveAsync(page);
        await Assertions.Expect(page.GetByText("No webhooks yet")).ToBeVisibleAsync();
        await BrowserApp.ScreenshotAsync(page, "40-webhooks-empty");

        await BrowserApp.Field(page, "webhook-url").FillAsync(receiver.Url);
        await page.ClickAsync("[data-testid=add-webhook]");
        await Assertions.Expect(page.Locator("[data-testid=webhook-secret]")).ToContainTextAsync("whsec_");
        await Assertions.Expect(page.Locator("[data-testid=webhooks-table]")).ToContainTextAsync(receiver.Url);
        await BrowserApp.ScreenshotAsync(page, "41-webhook-added");

        await page.ClickAsync("[data-testid=send-test]");
        await Assertions.Expect(page.Locator("[data-testid=deliveries]")).ToContainTextAsync("webhook.test");
        await Assertions.Expect(page.Locator("[data-testid=deliveries]")).ToContainTextAsync("succeeded");
        await Assertions.Expect(page.Locator("[data-testid=deliveries]")).ToContainTextAsync("200");
        Assert.Single(receiver.Received);
        await BrowserApp.ScreenshotAsync(page, "42-webhook-test-delivered");

        // A member without the admin role is shown the forbidden state, not the webhooks.
        var viewerPage = await browser.NewPageAsync();
        await browser.SignInAsync(viewerPage, team.Viewer.Email, team.Viewer.Password);
        await BrowserApp.GotoInteractiveAsync(viewerPage, $"/projects/{team.Slug}/webhooks");
        await Assertions.Expect(viewerPage.GetByText("Only project admins manage webhooks")).ToBeVisibleAsync();

        var admin = await browser.NewPageAsync();
        await browser.SignInAsync(admin, PortalApp.AdminEmail, PortalApp.AdminPassword);
        await BrowserApp.GotoInteractiveAsync(admin, "/audit");
        await Assertions.Expect(admin.Locator("[data-testid=audit-table]")).ToContainTextAsync("webhook.created");
        await BrowserApp.Field(admin, "audit-action").FillAsync("member.");
        await admin.ClickAsync("[data-testid=audit-apply]");
        await Assertions.Expect(admin.Locator("[data-testid=audit-table]")).Not.ToContainTextAsync("webhook.created");
        await Assertions.Expect(admin.Locator("[data-testid=audit-table]")).ToContainTextAsync(team.Viewer.Email);
        await admin.ClickAsync("[data-testid=verify-chain]");
        await Assertions.Expect(admin.Locator("[data-testid=verify-result]")).ToContainTextAsync("The chain is intact");
        await BrowserApp.ScreenshotAsync(admin, "43-audit-log-verified");
    }
}
