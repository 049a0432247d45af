using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Portal.Client.Models;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Evaluations;
using Portal.Core.Features.Promotions;
using Portal.Core.Features.Runs;

namespace Portal.E2E.Tests;

/// <summary>
/// axe-core (pinned in <c>axe/package.json</c>, installed by <c>infra/scripts/test.sh</c>) checks every main page in the
/// light and the dark theme on demo data. A critical or serious violation fails the test with each violation's rule,
/// impact, elements and help; so does a page without a <c>main</c> landmark or without exactly one <c>h1</c>.
/// </summary>
public sealed class AccessibilityTests(AccessibilityTests.SeededBrowserApp browser, Xunit.Abstractions.ITestOutputHelper output)
    : IClassFixture<AccessibilityTests.SeededBrowserApp>
{
    private static readonly string[] FailingImpacts = ["critical", "serious"];

    [SkippableTheory]
    [InlineData(ColorScheme.Light)]
    [InlineData(ColorScheme.Dark)]
    public async Task Main_pages_have_no_critical_or_serious_violations(ColorScheme theme)
    {
        Skip.If(BrowserApp.UnavailableReason is not null, BrowserApp.UnavailableReason);
        var axe = AxeScript();
        var demo = await browser.SeedAsync();
        var page = await browser.NewPageAsync(theme, bypassPolicy: true);
        var name = theme.ToString().ToLowerInvariant();

        var failures = new StringBuilder();
        var notes = new StringBuilder();
        await page.GotoAsync("/account/login");
        await CheckAsync(page, axe, "/account/login", failures, notes);
        await browser.SignInAsync(page, demo.Owner.Email, demo.Owner.Password);

        var slug = demo.Slug;
        string[] paths =
        [
            "/projects",
            "/registry",
            $"/projects/{slug}",
            $"/projects/{slug}/runs",
            $"/projects/{slug}/runs/{demo.RunId}",
            $"/projects/{slug}/artifacts",
            $"/projects/{slug}/artifacts/reviews",
            $"/projects/{slug}/artifacts/reviews/v1",
            $"/projects/{slug}/compare?from={demo.V0Id}&to={demo.V1Id}",
            $"/projects/{slug}/lineage?focus=run:{demo.RunId}&up=1&down=1",
            $"/projects/{slug}/new-version",
            $"/projects/{slug}/policies",
            $"/projects/{slug}/retention",
            $"/projects/{slug}/settings/validation",
            $"/projects/{slug}/settings/reports",
            $"/projects/{slug}/webhooks",
            $"/projects/{slug}/automations",
            "/approvals",
            "/",
            $"/projects/{slug}/promotions/{demo.PromotionId}",
            $"/projects/{slug}/evaluations",
            $"/projects/{slug}/evaluations/{demo.EvaluationAfter}",
            $"/projects/{slug}/artifacts/reviews/evaluations",
            $"/projects/{slug}/evaluations/compare?before={demo.EvaluationBefore}&after={demo.EvaluationAfter}",
            "/search?q=reviews",
            "/audit",
            "/settings",
            "/admin/users",
            "/admin/maintenance",
        ];
        foreach (var path in paths)
        {
            await BrowserApp.GotoInteractiveAsync(page, path);
            await CheckAsync(page, axe, path, failures, notes);
        }

        await BrowserApp.GotoInteractiveAsync(page, $"/projects/{slug}/artifacts/reviews/v1");
        await BrowserApp.ScreenshotAsync(page, $"90-a11y-version-{name}");
        await BrowserApp.GotoInteractiveAsync(page, "/audit");
        await BrowserApp.ScreenshotAsync(page, $"91-a11y-audit-{name}");
        await BrowserApp.GotoInteractiveAsync(page, $"/projects/{slug}/automations");
        await BrowserApp.ScreenshotAsync(page, $"92-a11y-automations-{name}");
        await BrowserApp.GotoInteractiveAsync(page, $"/projects/{slug}/artifacts/reviews/evaluations");
        await BrowserApp.ScreenshotAsync(page, $"94-evaluation-matrix-{name}");
        await BrowserApp.GotoInteractiveAsync(page, $"/projects/{slug}/evaluations/compare?before={demo.EvaluationBefore}&after={demo.EvaluationAfter}");
        await BrowserApp.ScreenshotAsync(page, $"95-evaluation-compare-{name}");
        await BrowserApp.GotoInteractiveAsync(page, $"/projects/{slug}/promotions/{demo.PromotionId}");
        await BrowserApp.ScreenshotAsync(page, $"96-evaluation-gate-{name}");
        foreach (var (width, height) in new[] { (1366, 768), (1920, 1080) })
        {
            await page.SetViewportSizeAsync(width, height);
            await BrowserApp.GotoInteractiveAsync(page, "/");
            Assert.NotNull(await page.QuerySelectorAsync("[data-testid=for-me]"));
            await BrowserApp.ScreenshotAsync(page, $"93-home-{width}x{height}-{name}");
        }
        await BrowserApp.GotoInteractiveAsync(page, $"/projects/{slug}");
        await BrowserApp.ScreenshotAsync(page, $"92-a11y-project-{name}");

        // Moderate and minor findings are reported, not failed on.
        output.WriteLine(notes.Length == 0 ? $"No moderate or minor findings in the {name} theme." : $"Moderate and minor findings in the {name} theme:\n{notes}");
        Assert.True(failures.Length == 0, $"Accessibility problems in the {name} theme:\n{failures}");
    }

    /// <summary>The pinned axe-core; its absence fails the test (CI installs it), it never skips.</summary>
    private static string AxeScript()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Portal.sln")))
            dir = dir.Parent;
        var path = Path.Combine(dir?.FullName ?? throw new InvalidOperationException("Portal.sln not found above the test folder"),
            "tests", "Portal.E2E.Tests", "axe", "node_modules", "axe-core", "axe.min.js");
        Assert.True(File.Exists(path), $"axe-core is missing at {path}; run `npm ci` in tests/Portal.E2E.Tests/axe (infra/scripts/test.sh does).");
        return path;
    }

    private static async Task CheckAsync(IPage page, string axePath, string path, StringBuilder failures, StringBuilder notes)
    {
        // Loading skeletons and progress bars are replaced by the page once its data arrived.
        await page.WaitForFunctionAsync("() => !document.querySelector('.mud-skeleton, .mud-progress-linear-indeterminate')", null, new() { Timeout = 20_000 });
        await page.WaitForTimeoutAsync(300);
        await page.AddScriptTagAsync(new() { Path = axePath });
        var result = await page.EvaluateAsync<JsonElement>(
            """
            async () => {
              const r = await axe.run(document, { resultTypes: ['violations'] });
              return {
                violations: r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(' ')) })),
                mains: document.querySelectorAll('main, [role=main]').length,
                h1s: document.querySelectorAll('h1').length,
              };
            }
            """);
        foreach (var v in result.GetProperty("violations").EnumerateArray())
        {
            var impact = v.GetProperty("impact").GetString() ?? "";
            var targets = v.GetProperty("targets").EnumerateArray().Select(t => t.GetString()).Take(5);
            var line = $"{path}: {v.GetProperty("id").GetString()} ({impact}) on {string.Join(", ", targets)}: {v.GetProperty("help").GetString()}";
            (FailingImpacts.Contains(impact) ? failures : notes).AppendLine(line);
        }

        if (result.GetProperty("mains").GetInt32() != 1)
            failures.AppendLine($"{path}: {result.GetProperty("mains").GetInt32()} main landmarks (one expected)");
        if (result.GetProperty("h1s").GetInt32() != 1)
            failures.AppendLine($"{path}: {result.GetProperty("h1s").GetInt32()} h1 headings (one expected)");
    }

    public sealed record Demo(TestUser Owner, string Slug, Guid RunId, Guid V0Id, Guid V1Id, Guid PromotionId, Guid EvaluationBefore, Guid EvaluationAfter);

    /// <summary>The browser fixture with one project's demo data, made once for both themes.</summary>
    public sealed class SeededBrowserApp : BrowserApp
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private Demo? _demo;

        public async Task<Demo> SeedAsync()
        {
            await _gate.WaitAsync();
            try
            {
                return _demo ??= await CreateAsync();
            }
            finally
            {
                _gate.Release();
            }
        }

        private async Task<Demo> CreateAsync()
        {
            var owner = await App.Data.CreateUserAsync("owner", siteAdmin: true);
            var project = await App.Data.CreateProjectAsync(owner);
            var slug = project.Slug;
            await using var scope = App.Services.CreateAsyncScope();
            var services = scope.ServiceProvider;
            var user = owner.Principal;
            var runs = services.GetRequiredService<Runs>();
            var v0 = await TestArtifacts.PublishAsync(services, user, slug, "reviews", "dataset", null, "First cut of the **review** corpus.",
                ("README.md", "# Reviews\n"), ("data/train.csv", "id,text,label\n1,great,positive\n2,late,negative\n"));
            var run = await runs.CreateAsync(user, slug, new CreateRunRequest("model_training", "train-classifier", Json("{\"learning_rate\":0.0003,\"epochs\":20}")));
            await services.GetRequiredService<RunLineage>().UseAsync(user, slug, run.Id, new UseVersionRequest(v0.Id));
            var points = Enumerable.Range(0, 20).Select(step => new MetricPointRequest("loss", step, 1.0 / (step + 1))).ToList<MetricPointRequest?>();
            await services.GetRequiredService<RunMetrics>().LogAsync(user, slug, run.Id, points);
            var v1 = await TestArtifacts.PublishAsync(services, user, slug, "reviews", "dataset", run.Id, "Relabelled the negatives.",
                ("README.md", "# Reviews\n"), ("data/train.csv", "id,text,label\n1,great,positive\n2,late,neutral\n3,fine,positive\n"));
            await runs.FinishAsync(user, slug, run.Id, new FinishRunRequest("finished", Json("{\"accuracy\":0.94}")));
            var aliases = services.GetRequiredService<ArtifactAliases>();
            await aliases.SetAsync(user, slug, "reviews", "production", new SetAliasRequest(v0.Version, "first release"));
            await TestArtifacts.PublishAsync(services, user, slug, "golden", "eval", null, "Questions with expected labels.", ("questions.jsonl", "{\"id\":\"r-1\"}\n"));
            var log = services.GetRequiredService<LogEvaluation>();
            var rows = (double first, double second) => new[]
            {
                new EvaluationRow("r-1", new Dictionary<string, double> { ["accuracy"] = first }, 120, 300, "positive"),
                new EvaluationRow("r-2", new Dictionary<string, double> { ["accuracy"] = second }, 180, 280, "neutral"),
                new EvaluationRow("r-3", new Dictionary<string, double> { ["accuracy"] = 1 }, 90, 310, "positive"),
            };
            var before = await log.FromRowsAsync(user, slug, new EvaluationHeader($"reviews:{v0.Version}", "golden:latest", ["accuracy"], "nightly"), rows(1, 0));
            var after = await log.FromRowsAsync(user, slug, new EvaluationHeader($"reviews:{v1.Version}", "golden:latest", ["accuracy"], "nightly"), rows(0, 1));
            await services.GetRequiredService<PromotionPolicies>().SetAsync(user, slug, "production",
                new PromotionPolicyRequest(RequiredApprovals: 1, ApproverRole: "Reviewer", RequiredSourceAlias: null,
                    Evaluation: new EvaluationGateModel("golden:latest", "accuracy", Threshold: 0.6, MaxDrop: 0.05)));
            var promotion = await services.GetRequiredService<RequestPromotion>().RequestAsync(user, slug, "reviews",
                new CreatePromotionRequest(v1.Version, "production", "recall up from 0.81 to 0.86"));
            return new Demo(owner, slug, run.Id, v0.Id, v1.Id, promotion.Id, before.Id, after.Id);
        }

        private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();
    }
}
