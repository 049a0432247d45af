using Microsoft.Extensions.DependencyInjection;
using Portal.Client.Models;
using Portal.Core.Features.Access;
using Portal.Core.Features.Promotions;
using Portal.Core.Features.Registry;

namespace Portal.E2E.Tests;

/// <summary>
/// From a project version to a governed registry alias: a contributor links the version from its version page into a
/// collection, finds it on the collection page, and asks for production on the collection version; a reviewer of the
/// collection approves, and the collection page shows production. An outsider sees the version but not its source.
/// </summary>
public sealed class RegistryJourneyTests(BrowserApp browser) : IClassFixture<BrowserApp>
{
    [SkippableFact]
    public async Task Link_from_the_version_page_then_promote_the_collection_version_through_review()
    {
        Skip.If(BrowserApp.UnavailableReason is not null, BrowserApp.UnavailableReason);
        var data = browser.App.Data;
        var owner = await data.CreateUserAsync("owner");
        var contributor = await data.CreateUserAsync("casey");
        var reviewer = await data.CreateUserAsync("riley");
        var outsider = await data.CreateUserAsync("olive");
        var project = await data.CreateProjectAsync(owner);
        await data.AddMemberAsync(owner, project.Slug, contributor, ProjectRole.Contributor);
        var collection = TestData.UniqueSlug("retriever");
        await using (var scope = browser.App.Services.CreateAsyncScope())
        {
            var services = scope.ServiceProvider;
            await TestArtifacts.PublishAsync(services, contributor.Principal, project.Slug, "support-index", "index", null, "HNSW index, first build.",
                ("index/meta.json", "{\"vectors\":60}"), ("config.yaml", "m: 32\n"));
            await services.GetRequiredService<RegistryCollections>().CreateAsync(owner.Principal, new CreateRegistryCollectionRequest(collection, "index", "Support retriever",
                "# Support retriever\n\nThe retrieval index behind the support assistant.\n\n- **Embedding**: `bge-small-en-v1.5`\n- **Evaluated on**: `support-eval`",
                ["licence", "intended_use"], new Dictionary<string, string> { ["licence"] = "Internal use only", ["intended_use"] = "Support retrieval" }));
            await services.GetRequiredService<PromotionPolicies>().SetAsync(owner.Principal, collection, "production", new PromotionPolicyRequest(RequiredApprovals: 1, ApproverRole: "Reviewer"));
        }
        await data.AddMemberAsync(owner, collection, contributor, ProjectRole.Contributor);
        await data.AddMemberAsync(owner, collection, reviewer, ProjectRole.Reviewer);

        // The contributor links v0 from its version page and lands on the collection.
        var linking = await browser.NewPageAsync();
        await browser.SignInAsync(linking, contributor.Email, contributor.Password);
        await BrowserApp.GotoInteractiveAsync(linking, $"/projects/{project.Slug}/artifacts/support-index/v0");
        await linking.ClickAsync("[data-testid=link-to-registry]");
        await Assertions.Expect(linking.Locator("[data-testid=link-submit]")).ToBeEnabledAsync();
        await BrowserApp.ScreenshotAsync(linking, "60-registry-link-dialog");
        await linking.ClickAsync("[data-testid=link-submit]");
        await linking.WaitForURLAsync($"**/registry/{collection}");
        await Assertions.Expect(linking.Locator("[data-testid=collection-version]")).ToHaveCountAsync(1);
        await Assertions.Expect(linking.Locator("[data-testid=version-source]")).ToHaveTextAsync($"{project.Slug}/support-index:v0");
        await Assertions.Expect(linking.Locator("[data-testid=collection-card-text]")).ToContainTextAsync("bge-small-en-v1.5");
        await BrowserApp.ScreenshotAsync(linking, "61-registry-collection");

        // The collection's version page is a version page: promote it to production.
        await BrowserApp.GotoInteractiveAsync(linking, $"/projects/{collection}/artifacts/{collection}/v0");
        await linking.ClickAsync("[data-testid=promote]");
        await linking.ClickAsync("[data-testid=promote-submit]");
        await linking.WaitForURLAsync(new System.Text.RegularExpressions.Regex($"/projects/{collection}/promotions/[0-9a-f-]{{36}}$"));
        var requestUrl = new Uri(linking.Url).AbsolutePath;
        await Assertions.Expect(linking.Locator("[data-testid=promotion-state]")).ToHaveTextAsync("open");

        var reviewing = await browser.NewPageAsync();
        await browser.SignInAsync(reviewing, reviewer.Email, reviewer.Password);
        await BrowserApp.GotoInteractiveAsync(reviewing, requestUrl);
        await reviewing.ClickAsync("[data-testid=approve]");
        await Assertions.Expect(reviewing.Locator("[data-testid=promotion-state]")).ToHaveTextAsync("applied");
        await BrowserApp.GotoInteractiveAsync(reviewing, $"/registry/{collection}");
        await Assertions.Expect(reviewing.Locator("[data-testid=collection-alias]").Filter(new() { HasText = "production" })).ToContainTextAsync("v0");

        // Someone outside the source project reads the collection, not where its version came from.
        var reading = await browser.NewPageAsync();
        await browser.SignInAsync(reading, outsider.Email, outsider.Password);
        await BrowserApp.GotoInteractiveAsync(reading, "/registry");
        await reading.Locator("input[data-testid=registry-search], [data-testid=registry-search] input").FillAsync(collection);
        await Assertions.Expect(reading.Locator("[data-testid=collection-card]")).ToHaveCountAsync(1);
        await BrowserApp.ScreenshotAsync(reading, "62-registry-list");
        await BrowserApp.GotoInteractiveAsync(reading, $"/registry/{collection}");
        await Assertions.Expect(reading.Locator("[data-testid=version-source-redacted]")).ToHaveCountAsync(1);
        Assert.DoesNotContain(project.Slug, await reading.ContentAsync(), StringComparison.Ordinal);
    }
}
