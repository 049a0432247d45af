using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Auditing;

namespace Portal.E2E.Tests;

/// <summary>
/// The audit page on a project with more records than one page: one row per record, the change as key / old / new,
/// server-side pages of 50 walked by links, and filters kept in the address so a link reproduces the view.
/// </summary>
public sealed class AuditPageTests(BrowserApp browser) : IClassFixture<BrowserApp>
{
    [SkippableFact]
    public async Task Rows_show_key_old_new_pages_walk_the_log_and_the_address_keeps_the_filters()
    {
        Skip.If(BrowserApp.UnavailableReason is not null, BrowserApp.UnavailableReason);
        var owner = await browser.App.Data.CreateUserAsync("auditor");
        var project = await browser.App.Data.CreateProjectAsync(owner);
        await using (var scope = browser.App.Services.CreateAsyncScope())
        {
            var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>();
            await using var db = await factory.CreateDbContextAsync();
            var at = DateTimeOffset.UtcNow;
            for (var i = 0; i < 75; i++)
            {
                db.Record(at, owner.Id, project.Id, "test.bulk", "item", i.ToString(CultureInfo.InvariantCulture),
                    before: new { size = i, label = "same" }, after: new { size = i + 1, label = "same" });
                await db.SaveChangesAsync();
            }

            db.Record(at, owner.Id, project.Id, "test.role", "member", "casey@example.test",
                before: new { role = "Viewer", email = "casey@example.test" }, after: new { role = "Admin", email = "casey@example.test" });
            var broken = db.Record(at, owner.Id, project.Id, "test.broken", "item", "odd");
            broken.AfterJson = "{\"unterminated\": ";
            await db.SaveChangesAsync();
        }

        var page = await browser.NewPageAsync();
        await browser.SignInAsync(page, owner.Email, owner.Password);
        await BrowserApp.GotoInteractiveAsync(page, "/audit");
        var rows = page.Locator("[data-testid=audit-row]");
        await Assertions.Expect(rows).ToHaveCountAsync(50);
        var total = await CountAsync(page);
        Assert.True(total >= 77, $"{total} records");

        // The newest records first: the unparseable change shows as it is, the role change as key / old / new.
        var brokenRow = rows.Filter(new() { HasText = "test.broken" });
        await Assertions.Expect(brokenRow.Locator("[data-testid=change-new]")).ToContainTextAsync("{\"unterminated\":");
        var roleRow = rows.Filter(new() { HasText = "test.role" });
        await Assertions.Expect(roleRow.Locator("[data-testid=change-key]")).ToHaveTextAsync("role");
        await Assertions.Expect(roleRow.Locator("[data-testid=change-old]")).ToHaveTextAsync("was Viewer");
        await Assertions.Expect(roleRow.Locator("[data-testid=change-new]")).ToHaveTextAsync("now Admin");
        var bulkRow = rows.Filter(new() { HasText = "test.bulk" }).First;
        await Assertions.Expect(bulkRow.Locator("[data-testid=change-key]")).ToHaveTextAsync("size");

        // One line of columns per record: 50 rows fit in a few thousand pixels, not tens of thousands.
        var height = await page.EvaluateAsync<int>("() => document.documentElement.scrollHeight");
        Assert.True(height < 6000, $"the page is {height} px tall");
        await BrowserApp.ScreenshotAsync(page, "44-audit-page");

        await page.ClickAsync("[data-testid=audit-older]");
        await page.WaitForURLAsync(new Regex("before=\\d+"));
        await Assertions.Expect(rows).ToHaveCountAsync(total - 50);
        await page.ClickAsync("[data-testid=audit-newer]");
        await page.WaitForURLAsync(new Regex("after=\\d+"));
        await Assertions.Expect(rows).ToHaveCountAsync(50);
        await Assertions.Expect(rows.Filter(new() { HasText = "test.broken" })).ToHaveCountAsync(1);

        // Filters from the form land in the address; opening that address in a new page shows the same records.
        await BrowserApp.Field(page, "audit-action").FillAsync("test.role");
        await page.ClickAsync("[data-testid=audit-apply]");
        await page.WaitForURLAsync(new Regex("action=test.role"));
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        var link = page.Url;
        Assert.DoesNotContain("before=", link, StringComparison.Ordinal);

        var again = await browser.NewPageAsync();
        await browser.SignInAsync(again, owner.Email, owner.Password);
        await BrowserApp.GotoInteractiveAsync(again, link);
        await Assertions.Expect(again.Locator("[data-testid=audit-row]")).ToHaveCountAsync(1);
        await Assertions.Expect(BrowserApp.Field(again, "audit-action")).ToHaveValueAsync("test.role");

        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var yesterday = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await BrowserApp.GotoInteractiveAsync(again, $"/audit?project={project.Slug}&action=test.&from={today}&to={today}");
        await Assertions.Expect(again.Locator("[data-testid=audit-row]")).ToHaveCountAsync(50);
        await BrowserApp.GotoInteractiveAsync(again, $"/audit?project={project.Slug}&action=test.&to={yesterday}");
        await Assertions.Expect(again.GetByText("No records match")).ToBeVisibleAsync();
    }

    private static async Task<int> CountAsync(IPage page)
    {
        var text = await page.Locator("[data-testid=audit-count]").InnerTextAsync();
        return int.Parse(Regex.Match(text, "^[\\d,]+").Value.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
    }
}
