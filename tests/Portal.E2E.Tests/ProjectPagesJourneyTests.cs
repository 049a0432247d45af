using System.Security.Claims;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Portal.Client.Models;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Runs;

namespace Portal.E2E.Tests;

/// <summary>
/// The daily journey through the project pages on data made through the use cases the API calls: dashboard →
/// artifact → version → folders → CSV preview → compare → run page.
/// </summary>
public sealed class ProjectPagesJourneyTests(BrowserApp browser) : IClassFixture<BrowserApp>
{
    private const string TrainCsvV1 = "id,text,label,score\n1,great product,positive,0.93\n2,\"late, and broken\",negative,0.12\n3,okay I guess,neutral,0.55\n";
    private const string TrainCsvV2 = TrainCsvV1 + "4,would buy again,positive,0.97\n5,,negative,0.08\n";

    [SkippableFact]
    public async Task Dashboard_artifact_version_folders_csv_preview_compare_and_run()
    {
        Skip.If(BrowserApp.UnavailableReason is not null, BrowserApp.UnavailableReason);
        var owner = await browser.App.Data.CreateUserAsync("owner");
        var project = await browser.App.Data.CreateProjectAsync(owner);
        var seeded = await SeedAsync(owner.Principal, project.Slug);
        var page = await browser.NewPageAsync();
        await browser.SignInAsync(page, owner.Email, owner.Password);

        await BrowserApp.GotoInteractiveAsync(page, $"/projects/{project.Slug}");
        await Assertions.Expect(page.Locator("[data-testid=stat-artifacts]")).ToHaveTextAsync("2");
        await Assertions.Expect(page.Locator("[data-testid=stat-runs]")).ToHaveTextAsync("2");
        await Assertions.Expect(page.Locator("[data-testid=activity]")).ToContainTextAsync("committed reviews");
        await Assertions.Expect(page.Locator("[data-testid=storage-chart]")).ToBeVisibleAsync();
        await BrowserApp.ScreenshotAsync(page, "10-project-dashboard");

        // The app bar's search finds the run by part of its name and the version by alias.
        await BrowserApp.Field(page, "search-input").FillAsync("train-class");
        await Assertions.Expect(page.Locator("[data-testid=search-hit]", new() { HasText = "train-classifier" })).ToBeVisibleAsync();
        await BrowserApp.ScreenshotAsync(page, "10b-search-dropdown");
        await BrowserApp.GotoInteractiveAsync(page, "/search?q=production");
        await Assertions.Expect(page.Locator("[data-testid=search-results]")).ToContainTextAsync($"reviews:{seeded.V2}");
        await BrowserApp.ScreenshotAsync(page, "10c-search-page");

        await BrowserApp.GotoInteractiveAsync(page, $"/projects/{project.Slug}?tab=artifacts");
        await Assertions.Expect(page.Locator("[data-testid=artifacts-table]")).ToContainTextAsync("classifier");
        await BrowserApp.ScreenshotAsync(page, "11-project-artifacts-tab");
        await page.Locator("[data-testid=artifacts-table]").GetByRole(AriaRole.Link, new() { Name = "reviews", Exact = true }).ClickAsync();

        await page.WaitForURLAsync($"**/projects/{project.Slug}/artifacts/reviews");
        await Assertions.Expect(page.Locator("[data-testid=versions-table]")).ToContainTextAsync(seeded.V2);
        await Assertions.Expect(page.Locator("[data-testid=versions-table]")).ToContainTextAsync("prepare-reviews");
        await Assertions.Expect(page.Locator("[data-testid=alias-timeline]")).ToContainTextAsync("relabelled the negatives");
        await BrowserApp.ScreenshotAsync(page, "12-artifact");
        await page.Locator("[data-testid=versions-table]").GetByRole(AriaRole.Link, new() { Name = seeded.V2, Exact = true }).ClickAsync();

        await page.WaitForURLAsync(new Regex($"/artifacts/reviews/{seeded.V2}$"));
        await Assertions.Expect(page.Locator("[data-testid=version-description] strong")).ToHaveTextAsync("negative");
        Assert.Equal(0, await page.Locator("[data-testid=version-description] script").CountAsync());
        await Assertions.Expect(page.Locator("[data-testid=usage-cli]")).ToHaveTextAsync($"portal artifact get reviews:{seeded.V2} -p {project.Slug} -o ./reviews");
        await Assertions.Expect(page.Locator("[data-testid=files-table]")).ToContainTextAsync("README.md");
        await BrowserApp.ScreenshotAsync(page, "13-version");

        await page.Locator("[data-testid=folder-link]", new() { HasText = "data/" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=file-breadcrumbs]")).ToContainTextAsync("data");
        await page.Locator("[data-testid=folder-link]", new() { HasText = "meta/" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=files-table]")).ToContainTextAsync("schema.json");
        await page.GoBackAsync();
        await Assertions.Expect(page.Locator("[data-testid=files-table]")).ToContainTextAsync("train.csv");
        await BrowserApp.ScreenshotAsync(page, "14-version-folder");

        await page.Locator("[data-testid=file-link]", new() { HasText = "train.csv" }).ClickAsync();
        var preview = page.Locator("[data-testid=preview-table]");
        await Assertions.Expect(preview).ToContainTextAsync("late, and broken");
        await Assertions.Expect(preview).ToContainTextAsync("would buy again");
        await Assertions.Expect(page.Locator("[data-testid=preview-rows]")).ToContainTextAsync("5 rows");
        await Assertions.Expect(page.Locator("[data-testid=preview-stats]")).ToContainTextAsync("score");
        await Assertions.Expect(page.Locator("[data-testid=preview-stats-scope]")).ToContainTextAsync("all 5 rows");
        await BrowserApp.ScreenshotAsync(page, "15-csv-preview");

        await page.ClickAsync("[data-testid=compare-previous]");
        await page.WaitForURLAsync(new Regex("/compare\\?from="));
        await Assertions.Expect(page.Locator("[data-testid=diff-added]")).ToHaveTextAsync("1");
        await Assertions.Expect(page.Locator("[data-testid=diff-removed]")).ToHaveTextAsync("1");
        await Assertions.Expect(page.Locator("[data-testid=diff-modified]")).ToHaveTextAsync("1");
        await Assertions.Expect(page.Locator("[data-testid=diff-table]")).ToContainTextAsync("data/train.csv");
        await BrowserApp.ScreenshotAsync(page, "16-compare");
        await page.GetByLabel("Line diff of data/train.csv").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=text-diff-inline] tr.portal-diff-added")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("[data-testid=text-diff-inline]")).ToContainTextAsync("would buy again");
        await Assertions.Expect(page.Locator("[data-testid=text-diff-counts]")).ToContainTextAsync("+2");
        await BrowserApp.ScreenshotAsync(page, "16b-compare-inline-diff");
        await page.Locator("[data-testid=text-diff-mode]").GetByText("Side by side").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=text-diff-split]")).ToContainTextAsync("would buy again");
        Assert.Contains("view=split", page.Url, StringComparison.Ordinal);
        await BrowserApp.ScreenshotAsync(page, "16c-compare-side-by-side");
        await page.Locator("[data-testid=diff-kinds]").GetByText("added", new() { Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=diff-table]")).Not.ToContainTextAsync("data/train.csv");
        await Assertions.Expect(page.Locator("[data-testid=diff-table]")).ToContainTextAsync("data/extra.csv");

        await BrowserApp.GotoInteractiveAsync(page, $"/projects/{project.Slug}/runs");
        await Assertions.Expect(page.Locator("[data-testid=runs-table]")).ToContainTextAsync("train-classifier");
        await BrowserApp.ScreenshotAsync(page, "17-runs");
        await page.Locator("[data-testid=runs-table]").GetByRole(AriaRole.Link, new() { Name = "train-classifier" }).ClickAsync();

        await page.WaitForURLAsync($"**/runs/{seeded.TrainingRunId}");
        await Assertions.Expect(page.Locator("#page-title")).ToHaveTextAsync("train-classifier");
        await Assertions.Expect(page.Locator("[data-testid=run-inputs]")).ToContainTextAsync("reviews");
        await Assertions.Expect(page.Locator("[data-testid=metric-charts]")).ToContainTextAsync("loss");
        await Assertions.Expect(page.Locator("[data-testid=run-config]")).ToContainTextAsync("\"learning_rate\"");
        await BrowserApp.ScreenshotAsync(page, "18-run");

        await page.Locator("[data-testid=run-inputs]").GetByRole(AriaRole.Link).First.ClickAsync();
        await page.WaitForURLAsync(new Regex($"/artifacts/reviews/{seeded.V2}$"));
    }

    [SkippableFact]
    public async Task Pages_of_a_project_you_are_not_in_show_a_finished_forbidden_state_and_unknown_versions_say_so()
    {
        Skip.If(BrowserApp.UnavailableReason is not null, BrowserApp.UnavailableReason);
        var owner = await browser.App.Data.CreateUserAsync("owner");
        var project = await browser.App.Data.CreateProjectAsync(owner);
        await TestArtifacts.PublishAsync(browser.App.Services, owner.Principal, project.Slug, "corpus", "dataset", null, "", ("a.txt", "a"));
        var stranger = await browser.App.Data.CreateUserAsync("stranger");
        var page = await browser.NewPageAsync();
        await browser.SignInAsync(page, stranger.Email, stranger.Password);

        foreach (var path in new[] { "runs", "artifacts", "artifacts/corpus", "artifacts/corpus/v0", $"runs/{Guid.NewGuid()}" })
        {
            await BrowserApp.GotoInteractiveAsync(page, $"/projects/{project.Slug}/{path}");
            await Assertions.Expect(page.GetByText("You don't have access here")).ToBeVisibleAsync();
        }

        await BrowserApp.ScreenshotAsync(page, "19-run-forbidden");

        var ownerPage = await browser.NewPageAsync();
        await browser.SignInAsync(ownerPage, owner.Email, owner.Password);
        await BrowserApp.GotoInteractiveAsync(ownerPage, $"/projects/{project.Slug}/artifacts/corpus/v7");
        await Assertions.Expect(ownerPage.GetByText("has no version 'v7'")).ToBeVisibleAsync();
        await BrowserApp.GotoInteractiveAsync(ownerPage, $"/projects/{project.Slug}/compare");
        await Assertions.Expect(ownerPage.GetByText("Pick two versions to compare")).ToBeVisibleAsync();
        await BrowserApp.ScreenshotAsync(ownerPage, "20-compare-empty");
    }

    private sealed record Seeded(string V1, string V2, Guid TrainingRunId);

    /// <summary>Two versions of a dataset (one produced by a run), a model, an alias moved with a reason, and a training run with metrics.</summary>
    private async Task<Seeded> SeedAsync(ClaimsPrincipal user, string slug)
    {
        await using var scope = browser.App.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var runs = services.GetRequiredService<Runs>();
        var metrics = services.GetRequiredService<RunMetrics>();
        var lineage = services.GetRequiredService<RunLineage>();
        var aliases = services.GetRequiredService<ArtifactAliases>();

        var v1 = await PublishAsync(services, user, slug, "reviews", "dataset", null, "First cut of the **review** corpus.",
            ("README.md", "# Reviews\nCustomer reviews, labelled.\n"),
            ("data/train.csv", TrainCsvV1),
            ("data/test.csv", "id,text,label\n9,fine,neutral\n"),
            ("data/meta/schema.json", "{\"columns\":[\"id\",\"text\",\"label\",\"score\"],\"version\":1}"),
            ("labels.jsonl", "{\"label\":\"positive\",\"id\":1}\n{\"label\":\"negative\",\"id\":2}\n"));
        await aliases.SetAsync(user, slug, "reviews", "production", new SetAliasRequest(v1.Version, "first release"));

        var prepare = await runs.CreateAsync(user, slug, new CreateRunRequest("data_prep", "prepare-reviews", Json("{\"source\":\"crm-export\",\"dedupe\":true}")));
        var v2 = await PublishAsync(services, user, slug, "reviews", "dataset", prepare.Id,
            "Relabelled the **negative** reviews.\n\n- adds `data/extra.csv`\n- drops the old test split\n\n<script>alert('x')</script><img src=x onerror=alert(1)>",
            ("README.md", "# Reviews\nCustomer reviews, labelled.\n"),
            ("data/train.csv", TrainCsvV2),
            ("data/extra.csv", "id,text,label\n7,extra row,positive\n"),
            ("data/meta/schema.json", "{\"columns\":[\"id\",\"text\",\"label\",\"score\"],\"version\":1}"),
            ("labels.jsonl", "{\"label\":\"positive\",\"id\":1}\n{\"label\":\"negative\",\"id\":2}\n"));
        await runs.FinishAsync(user, slug, prepare.Id, new FinishRunRequest("finished", Json("{\"rows\":5,\"dropped\":1}")));
        await aliases.SetAsync(user, slug, "reviews", "production", new SetAliasRequest(v2.Version, "relabelled the negatives"));

        var training = await runs.CreateAsync(user, slug, new CreateRunRequest("model_training", "train-classifier",
            Json("{\"learning_rate\":0.0003,\"epochs\":20,\"model\":{\"name\":\"distilbert\",\"layers\":6}}"), GitCommit: "3f9c2e1a7b", Host: "gpu-box-2"));
        await lineage.UseAsync(user, slug, training.Id, new UseVersionRequest(v2.Id));
        var points = Enumerable.Range(0, 60).SelectMany(step => new[]
        {
            new MetricPointRequest("loss", step, 1.2 * Math.Exp(-step / 15.0) + 0.05),
            new MetricPointRequest("accuracy", step, 0.55 + 0.4 * (1 - Math.Exp(-step / 12.0))),
        }).ToList<MetricPointRequest?>();
        await metrics.LogAsync(user, slug, training.Id, points);
        await PublishAsync(services, user, slug, "classifier", "model", training.Id, "DistilBERT fine-tuned on reviews.",
            ("model.safetensors", "weights-" + new string('w', 2000)), ("config.json", "{\"layers\":6}"));
        await runs.FinishAsync(user, slug, training.Id, new FinishRunRequest("finished", Json("{\"accuracy\":0.94,\"loss\":0.08}")));
        return new Seeded(v1.Version, v2.Version, training.Id);
    }

    private static Task<ArtifactVersionResponse> PublishAsync(
        IServiceProvider services, ClaimsPrincipal user, string slug, string name, string type, Guid? runId, string description, params (string Path, string Content)[] files) =>
        TestArtifacts.PublishAsync(services, user, slug, name, type, runId, description, files);

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
