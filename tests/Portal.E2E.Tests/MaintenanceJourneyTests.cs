using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Maintenance;
using Portal.Core.Storage;

namespace Portal.E2E.Tests;

/// <summary>
/// A site admin starts the integrity scrub from the maintenance page and reads its report; the damaged version says so
/// on its page; a project admin sets a retention policy.
/// </summary>
public sealed class MaintenanceJourneyTests(BrowserApp browser) : IClassFixture<BrowserApp>
{
    [SkippableFact]
    public async Task Site_admin_runs_the_scrub_the_version_page_flags_the_damage_and_a_project_admin_sets_retention()
    {
        Skip.If(BrowserApp.UnavailableReason is not null, BrowserApp.UnavailableReason);
        var app = browser.App;
        var team = await app.Data.CreateProjectWithTeamAsync();
        var content = "a file that will rot " + Guid.NewGuid();
        var version = await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "corpus", "dataset", null, "",
            ("docs/handbook.md", content), ("docs/intro.md", "fine " + Guid.NewGuid()));
        var digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));
        var store = app.FileStore;
        await File.WriteAllTextAsync(store.GetBlobPath(digest), "rotten");

        var page = await browser.NewPageAsync();
        await browser.SignInAsync(page, PortalApp.AdminEmail, PortalApp.AdminPassword);
        await BrowserApp.GotoInteractiveAsync(page, "/admin/maintenance");
        await Assertions.Expect(page.Locator("[data-testid=job-integrity-scrub]")).ToBeVisibleAsync();
        await page.ClickAsync("[data-testid=run-integrity-scrub]");
        await Assertions.Expect(page.Locator("[data-testid=runs]")).ToContainTextAsync("queued");

        // The browser host runs no job server: run the queued run here, as a worker would.
        long runId;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            runId = await db.MaintenanceRuns.Where(r => r.Job == "integrity-scrub").OrderByDescending(r => r.Id).Select(r => r.Id).FirstAsync();
            await scope.ServiceProvider.GetRequiredService<MaintenanceJobRunner>().ExecuteAsync(runId, default);
        }
        await page.ClickAsync("[data-testid=refresh]");
        await Assertions.Expect(page.Locator("[data-testid=runs]")).ToContainTextAsync("succeeded");
        await Assertions.Expect(page.Locator("[data-testid=runs]")).ToContainTextAsync("problems: 1 listed");
        await BrowserApp.ScreenshotAsync(page, "50-maintenance-scrub-report");

        var viewer = await browser.NewPageAsync();
        await browser.SignInAsync(viewer, team.Viewer.Email, team.Viewer.Password);
        await BrowserApp.GotoInteractiveAsync(viewer, $"/projects/{team.Slug}/artifacts/corpus/v0");
        await Assertions.Expect(viewer.Locator("[data-testid=integrity-alert]")).ToContainTextAsync("docs/handbook.md");
        await Assertions.Expect(viewer.Locator("[data-testid=integrity-issue]")).ToHaveCountAsync(1);
        await BrowserApp.ScreenshotAsync(viewer, "51-version-integrity-flag");
        Assert.NotEqual(Guid.Empty, version.Id);

        var projectAdmin = await browser.NewPageAsync();
        await browser.SignInAsync(projectAdmin, team.Admin.Email, team.Admin.Password);
        await BrowserApp.GotoInteractiveAsync(projectAdmin, $"/projects/{team.Slug}");
        await projectAdmin.ClickAsync("[data-testid=project-retention]");
        await projectAdmin.WaitForURLAsync($"**/projects/{team.Slug}/retention");
        await BrowserApp.WaitForInteractiveAsync(projectAdmin);
        await Assertions.Expect(projectAdmin.Locator("[data-testid=no-policies]")).ToBeVisibleAsync();
        await Assertions.Expect(projectAdmin.Locator("[data-testid=no-removals]")).ToBeVisibleAsync();
        await BrowserApp.Field(projectAdmin, "policy-type").FillAsync("dataset");
        await BrowserApp.Field(projectAdmin, "policy-days").FillAsync("30");
        await projectAdmin.ClickAsync("[data-testid=policy-save]");
        await Assertions.Expect(projectAdmin.Locator("[data-testid=policies]")).ToContainTextAsync("30 days");
        await BrowserApp.ScreenshotAsync(projectAdmin, "52-retention-policy");

        // Members who are not admins read the policies but cannot change them and do not see removals.
        await BrowserApp.GotoInteractiveAsync(viewer, $"/projects/{team.Slug}/retention");
        await Assertions.Expect(viewer.Locator("[data-testid=policies]")).ToContainTextAsync("dataset");
        await Assertions.Expect(viewer.Locator("[data-testid=policy-save]")).ToHaveCountAsync(0);
        await Assertions.Expect(viewer.Locator("[data-testid=removals]")).ToHaveCountAsync(0);
    }
}
