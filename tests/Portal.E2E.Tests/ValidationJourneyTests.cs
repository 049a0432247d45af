using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Compare;
using Portal.Core.Features.Validation;
using Portal.TestCommon;

namespace Portal.E2E.Tests;

/// <summary>Validation results on the version page, the compare report with its row diff on the compare page, and the rules page.</summary>
public sealed class ValidationJourneyTests(BrowserApp browser) : IClassFixture<BrowserApp>
{
    private static string Rows(int from, int count, string prefix) =>
        string.Concat(Enumerable.Range(from, count).Select(i => $"{{\"id\":{i},\"text\":\"{prefix} review {i} of the product\",\"label\":\"{(i % 4 == 0 ? "negative" : "positive")}\"}}\n"));

    [SkippableFact]
    public async Task Version_page_shows_findings_and_compare_page_shows_the_report()
    {
        Skip.If(BrowserApp.UnavailableReason is not null, BrowserApp.UnavailableReason);
        var owner = await browser.App.Data.CreateUserAsync("owner");
        var project = await browser.App.Data.CreateProjectAsync(owner);
        var v0 = await TestArtifacts.PublishAsync(browser.App.Services, owner.Principal, project.Slug, "reviews", "dataset", null, "", ("train.jsonl", Rows(1, 30, "a")));
        var v1 = await TestArtifacts.PublishAsync(browser.App.Services, owner.Principal, project.Slug, "reviews", "dataset", null, "",
            ("train.jsonl", Rows(1, 25, "a") + Rows(26, 5, "an edited") + "{\"id\":99,\"text\":\"write to jane.doe@example.com, card 4111 1111 1111 1111\",\"label\":\"positive\"}\n"),
            ("notes.md", "Key: AKIAIOSFODNN7EXAMPLE\n"));
        await using (var scope = browser.App.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<ValidationJob>().ExecuteAsync(v0.Id, default);
            await scope.ServiceProvider.GetRequiredService<ValidationJob>().ExecuteAsync(v1.Id, default);
            var reportId = await scope.ServiceProvider.GetRequiredService<PortalDbContext>().CompareReports.Where(r => r.ToVersionId == v1.Id).Select(r => r.Id).SingleAsync();
            await scope.ServiceProvider.GetRequiredService<CompareReportJob>().ExecuteAsync(reportId, default);
        }

        var page = await browser.NewPageAsync();
        await browser.SignInAsync(page, owner.Email, owner.Password);
        await BrowserApp.GotoInteractiveAsync(page, $"/projects/{project.Slug}/artifacts/reviews/v1");
        var panel = page.Locator("[data-testid=validation-panel]");
        await Assertions.Expect(panel.Locator("[data-testid=job-state]")).ToHaveTextAsync("passed");
        await Assertions.Expect(page.Locator("[data-testid=validation-findings]")).ToContainTextAsync("j***@e***.com");
        await Assertions.Expect(page.Locator("[data-testid=validation-findings]")).ToContainTextAsync("**** **** **** 1111");
        await Assertions.Expect(page.Locator("[data-testid=validation-findings]")).Not.ToContainTextAsync("jane.doe");
        await BrowserApp.ScreenshotAsync(page, "40-version-validation");

        await page.ClickAsync("[data-testid=compare-previous]");
        await page.WaitForURLAsync(new Regex("/compare\\?from="));
        var report = page.Locator("[data-testid=compare-report]");
        await Assertions.Expect(report.Locator("[data-testid=job-state]")).ToHaveTextAsync("finished");
        await Assertions.Expect(page.Locator("[data-testid=row-diff-table]")).ToContainTextAsync("an edited review 26");
        await Assertions.Expect(page.Locator("[data-testid=report-drift]")).ToContainTextAsync("labels");
        await BrowserApp.ScreenshotAsync(page, "41-compare-report");

        await BrowserApp.Field(page, "row-diff-key").FillAsync("text");
        await page.ClickAsync("[data-testid=row-diff-apply]");
        await Assertions.Expect(page.Locator("[data-testid=row-diff]")).ToContainTextAsync("keyed by text");
        await BrowserApp.ScreenshotAsync(page, "42-row-diff-by-text");

        await BrowserApp.GotoInteractiveAsync(page, $"/projects/{project.Slug}/settings/validation");
        await Assertions.Expect(page.Locator("[data-testid=rules-form]")).ToBeVisibleAsync();
        await BrowserApp.Field(page, "rules-fields").FillAsync("id:integer, text:string");
        await page.ClickAsync("[data-testid=rules-save]");
        await Assertions.Expect(page.Locator("[data-testid=rules-saved]")).ToBeVisibleAsync();
        await BrowserApp.ScreenshotAsync(page, "43-validation-rules");
    }
}
