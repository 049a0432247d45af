using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Portal.Client.Models;
using Portal.Core.Features.Artifacts;

namespace Portal.Benchmarks;

/// <summary>
/// The version and compare pages of a 1,000,000-file version in headless Chromium against the real app on Kestrel:
/// first rendered page of files (target under 1 s), folder navigation (under 300 ms), and the compare page of two
/// 1,000,000-file versions differing in 10 files (under 1 s). Times run from the navigation to the moment the rows
/// are in the browser's DOM, and from a click to the frame painted after the new folder's rows arrive.
/// </summary>
public static class PageScenarios
{
    private const string Scenario = "pages";
    private const string ChromiumPath = "/usr/bin/chromium";
    private const int Repeats = 5;

    public static async Task MillionFilePagesAsync(BenchContext context)
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"The page scenarios need Chromium at {ChromiumPath} (apt-get install chromium).");
        const int count = 1_000_000;
        const string name = "bench-pages";
        await context.MarkBlobsStoredAsync(ManifestGenerator.Blobs(count));
        var (v0, _) = await VersionScenarios.CreateAndCommitAsync(context, name, count);
        var upserts = Enumerable.Range(0, 10).Select(k => k * 99_999)
            .Select(i => new ManifestEntryModel(ManifestGenerator.PathOf(i), ManifestGenerator.DigestOf(i, generation: 1), 42))
            .ToList();
        await context.MarkBlobsStoredAsync(upserts.Select(u => (u.Digest, u.Size)));
        var user = context.Team.Contributor.Principal;
        var slug = context.Team.Slug;
        Guid v1;
        await using (var scope = context.Services.CreateAsyncScope())
        {
            var created = await scope.ServiceProvider.GetRequiredService<CreateVersion>()
                .FromPatchAsync(user, slug, name, new NewVersionFields(null, "ten files changed", null, null, null), "latest", upserts, []);
            v1 = created.VersionId!.Value;
            await scope.ServiceProvider.GetRequiredService<CommitVersion>().CommitAsync(user, slug, name, v1);
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage", "--no-first-run"],
        });
        await using var browserContext = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = context.BaseUrl,
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
        });
        browserContext.SetDefaultTimeout(60_000);
        var page = await browserContext.NewPageAsync();
        var team = context.Team.Contributor;
        await page.GotoAsync("/account/login");
        await page.FillAsync("#email", team.Email);
        await page.FillAsync("#password", team.Password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(url => !url.Contains("/account/login", StringComparison.Ordinal));

        var versionUrl = $"/projects/{slug}/artifacts/{name}/v1";
        var firstPage = new List<double>();
        var interactive = new List<double>();
        var intoData = new List<double>();
        var intoShard = new List<double>();
        var backToRoot = new List<double>();
        // The first round warms the server's compiled queries and the browser's cache of the app's scripts.
        for (var round = 0; round <= Repeats; round++)
        {
            var watch = Stopwatch.StartNew();
            await page.GotoAsync(versionUrl, new PageGotoOptions { WaitUntil = WaitUntilState.Commit });
            await page.Locator("[data-testid=folder-link]", new() { HasText = "data/" }).WaitForAsync();
            var rendered = watch.Elapsed.TotalMilliseconds;
            await page.Locator("[data-interactive=true]").WaitForAsync();
            var live = watch.Elapsed.TotalMilliseconds;

            var data = await ClickAndWaitAsync(page, "[data-testid=folder-link]", "data/", "[data-testid=folder-link]", "shard-0050/");
            var shard = await ClickAndWaitAsync(page, "[data-testid=folder-link]", "shard-0050/", "[data-testid=file-link]", "item-0050000.json");
            var root = await ClickAndWaitAsync(page, "[data-testid=file-breadcrumbs] a", "files", "[data-testid=folder-link]", "data/");
            if (round == 0)
                continue;
            firstPage.Add(rendered);
            interactive.Add(live);
            intoData.Add(data);
            intoShard.Add(shard);
            backToRoot.Add(root);
        }

        Report("version_first_page_of_files", firstPage);
        Report("version_interactive", interactive);
        Report("folder_root_to_data", intoData);
        Report("folder_data_to_shard", intoShard);
        Report("folder_shard_to_root", backToRoot);

        var compareUrl = $"/projects/{slug}/compare?from={v0}&to={v1}";
        var compare = new List<double>();
        for (var round = 0; round <= Repeats; round++)
        {
            var watch = Stopwatch.StartNew();
            await page.GotoAsync(compareUrl, new PageGotoOptions { WaitUntil = WaitUntilState.Commit });
            await page.Locator("[data-testid=diff-table]", new() { HasText = ManifestGenerator.PathOf(9 * 99_999) }).WaitForAsync();
            var ms = watch.Elapsed.TotalMilliseconds;
            if (round == 0)
            {
                var modified = await page.Locator("[data-testid=diff-modified]").InnerTextAsync();
                if (modified.Trim() != "10")
                    throw new InvalidOperationException($"The compare page shows {modified} modified files; expected 10.");
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "bench-compare.png") });
                continue;
            }

            compare.Add(ms);
        }

        Report("compare_1m_10_changed", compare);
        await page.GotoAsync(versionUrl + "?folder=data%2Fshard-0050%2F");
        await page.Locator("[data-testid=file-link]", new() { HasText = "item-0050000.json" }).WaitForAsync();
        // The file browser, below the app bar.
        const string ShowFiles = "() => { document.querySelector('[data-testid=file-breadcrumbs]').scrollIntoView(); window.scrollBy(0, -80); }";
        await page.EvaluateAsync(ShowFiles);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "bench-version.png") });
        await page.GotoAsync(versionUrl + "?folder=data%2F");
        await page.Locator("[data-testid=folder-link]", new() { HasText = "shard-0050/" }).WaitForAsync();
        await page.EvaluateAsync(ShowFiles);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "bench-version-folders.png") });
    }

    /// <summary>
    /// Clicks a link in the page and returns the milliseconds until the frame after the wanted row appears, all
    /// measured inside the browser: Playwright's own click checks and round trips (over 200 ms on a busy machine)
    /// are not part of what a user waits for.
    /// </summary>
    private static async Task<double> ClickAndWaitAsync(IPage page, string linkSelector, string linkText, string rowSelector, string rowText)
    {
        // The previous navigation has settled: nothing dimmed, nothing loading.
        await page.Locator("[data-testid=files-table][aria-busy=false]").WaitForAsync();
        var result = await page.EvaluateAsync<double>(
            """
            async ([linkSelector, linkText, rowSelector, rowText]) => {
              const has = (selector, text) => [...document.querySelectorAll(selector)].find(e => e.textContent.includes(text));
              const link = has(linkSelector, linkText);
              if (!link) return -1;
              const start = performance.now();
              await new Promise(resolve => {
                const observer = new MutationObserver(() => { if (has(rowSelector, rowText)) { observer.disconnect(); resolve(); } });
                observer.observe(document.body, { childList: true, subtree: true, characterData: true });
                link.click();
              });
              await new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)));
              return performance.now() - start;
            }
            """,
            new[] { linkSelector, linkText, rowSelector, rowText });
        if (result < 0)
            throw new InvalidOperationException($"No link {linkSelector} with text {linkText} on the page.");
        return result;
    }

    /// <summary>Median and worst of the measured rounds.</summary>
    private static void Report(string figure, List<double> milliseconds)
    {
        var sorted = milliseconds.Order().ToList();
        BenchContext.Report(Scenario, figure + "_median", sorted[sorted.Count / 2], "ms");
        BenchContext.Report(Scenario, figure + "_max", sorted[^1], "ms");
    }
}
