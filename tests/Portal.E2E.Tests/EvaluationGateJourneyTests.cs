using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Portal.Client.Models;
using Portal.Core.Features.Access;
using Portal.Core.Features.Evaluations;
using Portal.Core.Features.Promotions;
using Portal.Core.Features.Registry;

namespace Portal.E2E.Tests;

/// <summary>
/// From a link to a gated promotion: a contributor links the better index version into a registry collection from its
/// version page, then asks for production for each of two index versions whose alias is gated on recall@5 ≥ 0.75 on
/// a pinned eval-set version. The promotion page shows the gate with its numbers; the reviewer's approval applies the
/// version that passes and leaves the one below the threshold approved but waiting for its checks.
/// </summary>
public sealed class EvaluationGateJourneyTests(BrowserApp browser) : IClassFixture<BrowserApp>
{
    [SkippableFact]
    public async Task Link_then_request_production_and_the_evaluation_gate_decides_with_its_numbers()
    {
        Skip.If(BrowserApp.UnavailableReason is not null, BrowserApp.UnavailableReason);
        var data = browser.App.Data;
        var owner = await data.CreateUserAsync("owner");
        var contributor = await data.CreateUserAsync("casey");
        var reviewer = await data.CreateUserAsync("riley");
        var project = await data.CreateProjectAsync(owner);
        await data.AddMemberAsync(owner, project.Slug, contributor, ProjectRole.Contributor);
        await data.AddMemberAsync(owner, project.Slug, reviewer, ProjectRole.Reviewer);
        var collection = TestData.UniqueSlug("retriever");
        await using (var scope = browser.App.Services.CreateAsyncScope())
        {
            var services = scope.ServiceProvider;
            await TestArtifacts.PublishAsync(services, contributor.Principal, project.Slug, "support-index", "index", null, "First build.",
                ("index/meta.json", "{\"vectors\":60}"));
            await TestArtifacts.PublishAsync(services, contributor.Principal, project.Slug, "support-index", "index", null, "Rebuilt with the new chunker.",
                ("index/meta.json", "{\"vectors\":64}"));
            await TestArtifacts.PublishAsync(services, contributor.Principal, project.Slug, "golden", "dataset", null, "Ten support questions.",
                ("questions.jsonl", "{\"id\":\"q-01\"}\n"));
            var log = services.GetRequiredService<LogEvaluation>();
            // v0 finds 6 of 10 expected articles in its top five, v1 finds 9.
            await log.FromRowsAsync(contributor.Principal, project.Slug, new EvaluationHeader("support-index:v0", "golden:v0", ["recall@5"]), Rows(hits: 6));
            await log.FromRowsAsync(contributor.Principal, project.Slug, new EvaluationHeader("support-index:v1", "golden:v0", ["recall@5"]), Rows(hits: 9));
            await services.GetRequiredService<PromotionPolicies>().SetAsync(owner.Principal, project.Slug, "production", new PromotionPolicyRequest(
                RequiredApprovals: 1, ApproverRole: "Reviewer", Evaluation: new EvaluationGateModel("golden:v0", "recall@5", Threshold: 0.75)));
            await services.GetRequiredService<RegistryCollections>().CreateAsync(owner.Principal, new CreateRegistryCollectionRequest(collection, "index", "Support retriever",
                "# Support retriever\n\nThe retrieval index behind the support assistant.", [], new Dictionary<string, string>()));
        }
        await data.AddMemberAsync(owner, collection, contributor, ProjectRole.Contributor);

        var asking = await browser.NewPageAsync();
        await browser.SignInAsync(asking, contributor.Email, contributor.Password);

        // The link: v1 goes into the collection from its version page.
        await BrowserApp.GotoInteractiveAsync(asking, $"/projects/{project.Slug}/artifacts/support-index/v1");
        await asking.ClickAsync("[data-testid=link-to-registry]");
        await Assertions.Expect(asking.Locator("[data-testid=link-submit]")).ToBeEnabledAsync();
        await asking.ClickAsync("[data-testid=link-submit]");
        await asking.WaitForURLAsync($"**/registry/{collection}");
        await Assertions.Expect(asking.Locator("[data-testid=version-source]")).ToHaveTextAsync($"{project.Slug}/support-index:v1");

        // v0 asks for production: the gate shows recall@5 = 0.6 on golden:v0, below the threshold.
        var weak = await RequestProductionAsync(asking, project.Slug, 0);
        var weakChecks = asking.Locator("[data-testid=promotion-checks] li").Filter(new() { HasText = "0.75" });
        await Assertions.Expect(weakChecks).ToContainTextAsync("recall@5 = 0.6 on golden:v0");
        await Assertions.Expect(weakChecks).ToContainTextAsync("below the threshold 0.75");
        await BrowserApp.ScreenshotAsync(asking, "63-evaluation-gate-failed");

        // v1 asks too: 0.9, at or above the threshold.
        var strong = await RequestProductionAsync(asking, project.Slug, 1);
        var strongChecks = asking.Locator("[data-testid=promotion-checks] li").Filter(new() { HasText = "0.75" });
        await Assertions.Expect(strongChecks).ToContainTextAsync("recall@5 = 0.9 on golden:v0");
        await Assertions.Expect(strongChecks).ToContainTextAsync("≥ threshold 0.75");

        // The reviewer approves both: the one that passes its gate is applied, the other waits for its checks.
        var reviewing = await browser.NewPageAsync();
        await browser.SignInAsync(reviewing, reviewer.Email, reviewer.Password);
        await BrowserApp.GotoInteractiveAsync(reviewing, weak);
        await reviewing.ClickAsync("[data-testid=approve]");
        await Assertions.Expect(reviewing.Locator("[data-testid=promotion-state]")).ToHaveTextAsync("approved");
        await Assertions.Expect(reviewing.Locator("[data-testid=promotion-discussion]")).ToContainTextAsync("waiting for checks: evaluation");

        await BrowserApp.GotoInteractiveAsync(reviewing, strong);
        await reviewing.ClickAsync("[data-testid=approve]");
        await Assertions.Expect(reviewing.Locator("[data-testid=promotion-state]")).ToHaveTextAsync("applied");
        await BrowserApp.ScreenshotAsync(reviewing, "64-evaluation-gate-applied");

        await using (var scope = browser.App.Services.CreateAsyncScope())
        {
            var production = await scope.ServiceProvider.GetRequiredService<Portal.Core.Features.Artifacts.ArtifactAliases>()
                .AtAsync(owner.Principal, project.Slug, "support-index", "production", DateTimeOffset.UtcNow.AddMinutes(1));
            Assert.Equal("v1", production.Version);
        }
    }

    private static async Task<string> RequestProductionAsync(Microsoft.Playwright.IPage page, string slug, int version)
    {
        await BrowserApp.GotoInteractiveAsync(page, $"/projects/{slug}/artifacts/support-index/v{version}");
        await page.ClickAsync("[data-testid=promote]");
        await page.ClickAsync("[data-testid=promote-submit]");
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex($"/projects/{slug}/promotions/[0-9a-f-]{{36}}$"));
        await Assertions.Expect(page.Locator("[data-testid=promotion-state]")).ToHaveTextAsync("open");
        return new Uri(page.Url).AbsolutePath;
    }

    private static IEnumerable<EvaluationRow> Rows(int hits) =>
        Enumerable.Range(1, 10).Select(i => new EvaluationRow(
            string.Create(CultureInfo.InvariantCulture, $"q-{i:D2}"), new Dictionary<string, double> { ["recall@5"] = i <= hits ? 1 : 0 }));
}
