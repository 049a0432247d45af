using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Features.Ingestions;
using Portal.TestCommon;

namespace Portal.E2E.Tests;

/// <summary>Dropping files on the New version page: they stream to the server, the job commits them, the page follows its progress to the result.</summary>
public sealed class IngestionJourneyTests(BrowserApp browser) : IClassFixture<BrowserApp>
{
    [SkippableFact]
    public async Task Dropped_files_become_a_committed_version()
    {
        Skip.If(BrowserApp.UnavailableReason is not null, BrowserApp.UnavailableReason);
        var owner = await browser.App.Data.CreateUserAsync("uploader");
        var project = await browser.App.Data.CreateProjectAsync(owner);
        var page = await browser.NewPageAsync();
        await browser.SignInAsync(page, owner.Email, owner.Password);

        await BrowserApp.GotoInteractiveAsync(page, $"/projects/{project.Slug}/new-version?artifact=support-docs");
        await Assertions.Expect(BrowserApp.Field(page, "ingest-artifact")).ToHaveValueAsync("support-docs");
        await BrowserApp.Field(page, "ingest-type").FillAsync("documents");
        var jsonl = string.Concat(Enumerable.Range(1, 200).Select(i => $"{{\"id\":{i},\"text\":\"How do I reset my password, case {i}?\"}}\n"));
        await page.Locator("input[type=file]").SetInputFilesAsync(new[]
        {
            new FilePayload { Name = "faq.jsonl", MimeType = "application/jsonl", Buffer = Encoding.UTF8.GetBytes(jsonl) },
            new FilePayload { Name = "README.md", MimeType = "text/markdown", Buffer = Encoding.UTF8.GetBytes("# Support docs\n\nExported from the help centre.\n") },
        });
        await Assertions.Expect(page.Locator("[data-testid=ingest-files]")).ToContainTextAsync("faq.jsonl");
        await Assertions.Expect(page.Locator("[data-testid=ingest-files]")).ToContainTextAsync("README.md");
        await BrowserApp.ScreenshotAsync(page, "50-new-version-files-chosen");

        await page.ClickAsync("[data-testid=ingest-upload]");
        await page.WaitForURLAsync(new Regex("new-version\\?ingestion="));
        var status = page.Locator("[data-testid=ingestion-state]");
        await Assertions.Expect(status).ToHaveTextAsync("queued");
        await BrowserApp.ScreenshotAsync(page, "51-new-version-queued");

        // The test host runs no job server: run the queued job the way a worker would, and let the page's polling see it.
        var ingestionId = Guid.Parse(new Uri(page.Url).Query.Split('=')[1]);
        await using (var scope = browser.App.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<IngestionJob>().ExecuteAsync(ingestionId, default);

        await Assertions.Expect(status).ToHaveTextAsync("committed");
        await Assertions.Expect(page.Locator("[data-testid=ingestion-status]")).ToContainTextAsync("support-docs:v0");
        await BrowserApp.ScreenshotAsync(page, "52-new-version-committed");

        await page.ClickAsync("[data-testid=ingestion-result]");
        await page.WaitForURLAsync(new Regex("/artifacts/support-docs/v0$"));
        await BrowserApp.WaitForInteractiveAsync(page);
        await Assertions.Expect(page.Locator("body")).ToContainTextAsync("faq.jsonl");
        await BrowserApp.ScreenshotAsync(page, "53-ingested-version");
    }
}
