namespace Portal.E2E.Tests;

/// <summary>A viewer opens E-mail reports from the project, previews the digest, subscribes and sends it now.</summary>
public sealed class DigestsJourneyTests(BrowserApp browser) : IClassFixture<BrowserApp>
{
    [SkippableFact]
    public async Task A_viewer_previews_subscribes_and_sends_the_digest_now()
    {
        Skip.If(BrowserApp.UnavailableReason is not null, BrowserApp.UnavailableReason);
        var team = await browser.App.Data.CreateProjectWithTeamAsync();
        await TestArtifacts.PublishAsync(browser.App.Services, team.Contributor.Principal, team.Slug, "support-corpus", "documents", null, "", ("faq.md", "# FAQ"));
        await TestArtifacts.PublishAsync(browser.App.Services, team.Contributor.Principal, team.Slug, "support-corpus", "documents", null, "", ("faq.md", "# FAQ v2"));
        await TestArtifacts.PublishAsync(browser.App.Services, team.Contributor.Principal, team.Slug, "eval-set", "eval", null, "", ("eval.jsonl", "{\"q\":\"refund?\"}\n"));
        var page = await browser.NewPageAsync();
        await browser.SignInAsync(page, team.Viewer.Email, team.Viewer.Password);

        await BrowserApp.GotoInteractiveAsync(page, $"/projects/{team.Slug}");
        await page.ClickAsync("[data-testid=project-reports]");
        await page.WaitForURLAsync($"**/projects/{team.Slug}/settings/reports");
        await BrowserApp.WaitForInteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=digest-status]")).ToHaveTextAsync("Not subscribed");
        await Assertions.Expect(page.Locator("[data-testid=digest-send]")).ToBeDisabledAsync();

        await page.ClickAsync("[data-testid=digest-save]");
        await Assertions.Expect(page.Locator("[data-testid=digest-status]")).ToHaveTextAsync("Subscribed");
        await Assertions.Expect(page.Locator("[data-testid=digest-next]")).ToContainTextAsync("Mon");
        await Assertions.Expect(page.GetByText("No digest yet")).ToBeVisibleAsync();

        await page.ClickAsync("[data-testid=digest-preview]");
        await Assertions.Expect(page.Locator("[data-testid=digest-subject]")).ToHaveTextAsync($"[{team.Slug}] Weekly digest: 3 new versions");
        var frame = page.FrameLocator("[data-testid=digest-preview-frame]");
        await Assertions.Expect(frame.GetByText("support-corpus:v1")).ToBeVisibleAsync();
        await Assertions.Expect(frame.GetByText("eval-set:v0")).ToBeVisibleAsync();
        await BrowserApp.ScreenshotAsync(page, "60-digest-preview");

        await page.ClickAsync("[data-testid=digest-send]");
        await Assertions.Expect(page.Locator("[data-testid=digest-sent]")).ToContainTextAsync($"Sent to {team.Viewer.Email}");
        await Assertions.Expect(page.Locator("[data-testid=digest-deliveries]")).ToContainTextAsync("sent");
        await Assertions.Expect(page.Locator("[data-testid=digest-deliveries]")).ToContainTextAsync("Send now");

        await page.ClickAsync("[data-testid=digest-preview]");
        await Assertions.Expect(page.Locator("[data-testid=digest-empty]")).ToContainTextAsync("no e-mail would be sent");
        await page.ClickAsync("[data-testid=digest-send]");
        await Assertions.Expect(page.Locator("[data-testid=digest-sent]")).ToContainTextAsync("no e-mail was sent");
        await BrowserApp.ScreenshotAsync(page, "61-digest-sent-and-empty");

        // Someone who is not a member sees the not-found state.
        var outsider = await browser.App.Data.CreateUserAsync("outsider");
        var other = await browser.NewPageAsync();
        await browser.SignInAsync(other, outsider.Email, outsider.Password);
        await BrowserApp.GotoInteractiveAsync(other, $"/projects/{team.Slug}/settings/reports");
        await Assertions.Expect(other.GetByText("or you are not a member of it")).ToBeVisibleAsync();
    }
}
