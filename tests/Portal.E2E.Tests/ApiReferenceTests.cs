using System.Collections.Concurrent;

namespace Portal.E2E.Tests;

/// <summary>The API reference at /api/docs renders from the portal alone: no console error, no request to another host.</summary>
public sealed class ApiReferenceTests(BrowserApp browser) : IClassFixture<BrowserApp>
{
    [SkippableFact]
    public async Task The_reference_renders_without_errors_or_requests_to_other_hosts()
    {
        Skip.If(BrowserApp.UnavailableReason is not null, BrowserApp.UnavailableReason);
        var page = await browser.NewPageAsync();
        var portal = new Uri(browser.BaseUrl);
        var foreign = new ConcurrentQueue<string>();
        var errors = new ConcurrentQueue<string>();
        page.Request += (_, request) =>
        {
            if (Uri.TryCreate(request.Url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Authority != portal.Authority)
                foreign.Enqueue(request.Url);
        };
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
                errors.Enqueue(message.Text);
        };
        page.PageError += (_, error) => errors.Enqueue(error);

        await page.GotoAsync("/api/docs");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Portal API" }).First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByText("Log runs and artifact versions").First).ToBeVisibleAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        // The top of the page only: the whole reference is many screens tall.
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserApp.ScreenshotFolder, "95-api-reference.png") });

        Assert.True(errors.IsEmpty, "Console errors:\n" + string.Join("\n", errors));
        Assert.True(foreign.IsEmpty, "Requests to other hosts:\n" + string.Join("\n", foreign));
    }
}
