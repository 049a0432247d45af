using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Portal.Client.Models;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Promotions;

namespace Portal.E2E.Tests;

/// <summary>
/// The governed move of production: a contributor asks for it from the version page, a reviewer in a second browser
/// context finds it in the approval queue and approves it, and the alias moves.
/// </summary>
public sealed class PromotionJourneyTests(BrowserApp browser) : IClassFixture<BrowserApp>
{
    [SkippableFact]
    public async Task Request_from_the_version_page_then_a_second_user_approves_and_production_moves()
    {
        Skip.If(BrowserApp.UnavailableReason is not null, BrowserApp.UnavailableReason);
        var data = browser.App.Data;
        var owner = await data.CreateUserAsync("owner");
        var requester = await data.CreateUserAsync("casey");
        var reviewer = await data.CreateUserAsync("riley");
        var project = await data.CreateProjectAsync(owner);
        await data.AddMemberAsync(owner, project.Slug, requester, ProjectRole.Contributor);
        await data.AddMemberAsync(owner, project.Slug, reviewer, ProjectRole.Reviewer);
        await using (var scope = browser.App.Services.CreateAsyncScope())
        {
            var services = scope.ServiceProvider;
            await TestArtifacts.PublishAsync(services, requester.Principal, project.Slug, "support-index", "index", null, "HNSW index, first build.",
                ("index/meta.json", "{\"vectors\":60}"), ("config.yaml", "m: 32\n"));
            await TestArtifacts.PublishAsync(services, requester.Principal, project.Slug, "support-index", "index", null, "Rebuilt from the refund-policy rewrite.",
                ("index/meta.json", "{\"vectors\":64}"), ("config.yaml", "m: 32\n"), ("index/ids.txt", "0\n1\n"));
            var aliases = services.GetRequiredService<ArtifactAliases>();
            await aliases.SetAsync(owner.Principal, project.Slug, "support-index", "production", new SetAliasRequest("v0", "first release"));
            await aliases.SetAsync(owner.Principal, project.Slug, "support-index", "staging", new SetAliasRequest("v1", "candidate"));
            await services.GetRequiredService<PromotionPolicies>().SetAsync(owner.Principal, project.Slug, "production",
                new PromotionPolicyRequest(RequiredApprovals: 1, ApproverRole: "Reviewer", RequiredSourceAlias: "staging"));
        }

        // The owner sees the policy.
        var ownerPage = await browser.NewPageAsync();
        await browser.SignInAsync(ownerPage, owner.Email, owner.Password);
        await BrowserApp.GotoInteractiveAsync(ownerPage, $"/projects/{project.Slug}/policies");
        await Assertions.Expect(ownerPage.Locator("[data-testid=policies-table]")).ToContainTextAsync("staging");
        await BrowserApp.ScreenshotAsync(ownerPage, "40-promotion-policies");
        await ownerPage.Context.CloseAsync();

        // The contributor asks from the version page.
        var asking = await browser.NewPageAsync();
        await browser.SignInAsync(asking, requester.Email, requester.Password);
        await BrowserApp.GotoInteractiveAsync(asking, $"/projects/{project.Slug}/artifacts/support-index/v1");
        await asking.ClickAsync("[data-testid=promote]");
        await TextArea(asking, "promote-comment").FillAsync("recall@5 up from 0.81 to 0.86");
        await BrowserApp.ScreenshotAsync(asking, "41-promote-dialog");
        await asking.ClickAsync("[data-testid=promote-submit]");
        await asking.WaitForURLAsync(new Regex($"/projects/{project.Slug}/promotions/[0-9a-f-]{{36}}$"));
        var requestUrl = new Uri(asking.Url).AbsolutePath;
        await Assertions.Expect(asking.Locator("[data-testid=promotion-state]")).ToHaveTextAsync("open");
        await Assertions.Expect(asking.Locator("[data-testid=promotion-checks]")).ToContainTextAsync("0 of 1 approval");
        await Assertions.Expect(asking.Locator("[data-testid=promotion-diff]")).ToContainTextAsync("1 added");
        Assert.Equal(0, await asking.Locator("[data-testid=approve]").CountAsync());
        await BrowserApp.ScreenshotAsync(asking, "42-promotion-requested");

        // The reviewer, in a second browser context, finds it in the queue and approves it.
        var reviewing = await browser.NewPageAsync();
        await browser.SignInAsync(reviewing, reviewer.Email, reviewer.Password);
        await BrowserApp.GotoInteractiveAsync(reviewing, "/approvals");
        await Assertions.Expect(reviewing.Locator("[data-testid=approvals-badge]")).ToHaveTextAsync("1");
        await Assertions.Expect(reviewing.Locator("[data-testid=approvals-table]")).ToContainTextAsync("support-index:production");
        await BrowserApp.ScreenshotAsync(reviewing, "43-approval-queue");
        await reviewing.Locator("[data-testid=approvals-table]").GetByRole(AriaRole.Link, new() { Name = "support-index:production" }).ClickAsync();
        await reviewing.WaitForURLAsync($"**{requestUrl}");
        await Assertions.Expect(reviewing.Locator("[data-testid=approve]")).ToBeVisibleAsync();
        await TextArea(reviewing, "promotion-comment").FillAsync("Checked the diff and the eval numbers.");
        await reviewing.ClickAsync("[data-testid=approve]");
        await Assertions.Expect(reviewing.Locator("[data-testid=promotion-state]")).ToHaveTextAsync("applied");
        await Assertions.Expect(reviewing.Locator("[data-testid=current-version]")).ToHaveTextAsync("v1");
        await Assertions.Expect(reviewing.Locator("[data-testid=promotion-discussion]")).ToContainTextAsync("Checked the diff and the eval numbers.");
        await Assertions.Expect(reviewing.Locator("[data-testid=approvals-badge]")).ToHaveCountAsync(0);
        await BrowserApp.ScreenshotAsync(reviewing, "44-promotion-applied");

        // production moved: the artifact's alias history says so, and offers the rollback.
        await BrowserApp.GotoInteractiveAsync(asking, $"/projects/{project.Slug}/artifacts/support-index");
        await Assertions.Expect(asking.Locator("[data-testid=alias-timeline]")).ToContainTextAsync("v0 → v1");
        await Assertions.Expect(asking.Locator("[data-testid=rollback-production]")).ToBeVisibleAsync();
        await BrowserApp.Field(asking, "alias-at-time-input").FillAsync(DateTimeOffset.UtcNow.AddSeconds(2).ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture));
        await asking.ClickAsync("[data-testid=alias-at-ask]");
        await Assertions.Expect(asking.Locator("[data-testid=alias-at-answer]")).ToContainTextAsync("v1");
        await BrowserApp.ScreenshotAsync(asking, "45-artifact-after-promotion");
        await asking.Context.CloseAsync();
        await reviewing.Context.CloseAsync();
    }

    /// <summary>A multi-line MudBlazor text field by test id.</summary>
    private static ILocator TextArea(IPage page, string testId) =>
        page.Locator($"textarea[data-testid={testId}], [data-testid={testId}] textarea").First;
}
