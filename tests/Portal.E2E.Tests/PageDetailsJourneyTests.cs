using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Parquet.Serialization;
using Portal.Client.Models;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Runs;

namespace Portal.E2E.Tests;

/// <summary>
/// Details a daily user notices, at laptop (1366×768) and desktop (1920×1080) sizes: the versions table's Created
/// column is not clipped, the version page's CLI snippet and a 254-character file name stay inside their boxes, a
/// Parquet file over 10 MB previews, and the compare page opens on versions named by number and alias.
/// </summary>
public sealed class PageDetailsJourneyTests(BrowserApp browser) : IClassFixture<BrowserApp>
{
    private static readonly string LongName = new string('n', 246) + ".parquet";

    [SkippableFact]
    public async Task Tables_snippets_long_names_parquet_and_compare_fit_laptop_and_desktop_screens()
    {
        Skip.If(BrowserApp.UnavailableReason is not null, BrowserApp.UnavailableReason);
        Assert.Equal(254, LongName.Length);
        var owner = await browser.App.Data.CreateUserAsync("details");
        var project = await browser.App.Data.CreateProjectAsync(owner);
        var slug = project.Slug;
        await SeedAsync(owner.Principal, slug);
        var page = await browser.NewPageAsync();
        page.SetDefaultTimeout(60_000);
        await browser.SignInAsync(page, owner.Email, owner.Password);

        foreach (var (width, height) in new[] { (1366, 768), (1920, 1080) })
        {
            await page.SetViewportSizeAsync(width, height);
            var size = $"{width}x{height}";

            await BrowserApp.GotoInteractiveAsync(page, $"/projects/{slug}/artifacts/tables");
            var created = page.Locator("[data-testid=version-created]").First;
            await Assertions.Expect(created).ToBeVisibleAsync();
            Assert.True(await InsideAsync(created, ".mud-table-container"), $"{size}: the Created column is clipped");
            Assert.True(await page.Locator("[data-testid=versions-table] .mud-table-container").EvaluateAsync<bool>("el => el.scrollWidth <= el.clientWidth + 1"),
                $"{size}: the versions table scrolls sideways");
            await BrowserApp.ScreenshotAsync(page, $"95-versions-{size}");

            await BrowserApp.GotoInteractiveAsync(page, $"/projects/{slug}/artifacts/tables/v2");
            var cli = page.Locator("[data-testid=usage-cli]");
            await Assertions.Expect(cli).ToContainTextAsync($"portal artifact get tables:v2 -p {slug}");
            Assert.True(await cli.EvaluateAsync<bool>("el => el.scrollWidth <= el.clientWidth + 1"), $"{size}: the CLI snippet is cut off");
            var longLink = page.Locator("[data-testid=file-link]", new() { HasText = LongName[..40] });
            await Assertions.Expect(longLink).ToHaveAttributeAsync("title", LongName);
            Assert.True(await InsideAsync(longLink, "[data-testid=files-table]"), $"{size}: the long file name overflows the files table");
            await BrowserApp.ScreenshotAsync(page, $"96-version-{size}");

            await BrowserApp.GotoInteractiveAsync(page, $"/projects/{slug}/artifacts/tables/v2?file={Uri.EscapeDataString("wide.parquet")}#preview");
            var preview = page.Locator("[data-testid=preview-table]");
            await Assertions.Expect(preview).ToContainTextAsync("Text", new() { Timeout = 90_000 });
            await Assertions.Expect(page.Locator("[data-testid=preview]").Locator("xpath=..")).ToContainTextAsync("First 200 of 240,000 rows");
            await BrowserApp.ScreenshotAsync(page, $"97-parquet-preview-{size}");

            await BrowserApp.GotoInteractiveAsync(page, $"/projects/{slug}/compare?from=tables:v0&to=tables:production");
            await Assertions.Expect(page.Locator("#page-title")).ToContainTextAsync("tables:v0");
            await Assertions.Expect(page.Locator("#page-title")).ToContainTextAsync("tables:v2");
            await Assertions.Expect(page.Locator("[data-testid=range-summary]")).ToContainTextAsync("manifest ranges shared and skipped");
            await BrowserApp.ScreenshotAsync(page, $"98-compare-{size}");
        }
    }

    /// <summary>Whether the element's right edge is inside the nearest ancestor matching <paramref name="container"/>.</summary>
    private static Task<bool> InsideAsync(ILocator element, string container) =>
        element.EvaluateAsync<bool>("(el, c) => { const box = el.closest(c).getBoundingClientRect(); const r = el.getBoundingClientRect(); return r.right <= box.right + 1 && r.left >= box.left - 1; }", container);

    /// <summary>Three versions of "tables" by a run with a long name; v2 holds a 12 MB Parquet file in 8 row groups and a 254-character name.</summary>
    private async Task SeedAsync(ClaimsPrincipal user, string slug)
    {
        await using var scope = browser.App.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var run = await services.GetRequiredService<Runs>().CreateAsync(user, slug, new CreateRunRequest("data_processing", "prepare-tables-for-the-quarterly-evaluation-sweep"));
        var random = new Random(20261205);
        var rows = Enumerable.Range(0, 240_000).Select(i =>
        {
            var bytes = new byte[48];
            random.NextBytes(bytes);
            return new WideRow { Id = i, Text = Convert.ToBase64String(bytes), Score = random.NextDouble() };
        }).ToList();
        using var parquet = new MemoryStream();
        await ParquetSerializer.SerializeAsync(rows, parquet, new Parquet.ParquetOptions { RowGroupSize = 30_000 });
        Assert.True(parquet.Length > 10 * 1024 * 1024, $"the Parquet file has {parquet.Length} bytes");

        for (var v = 0; v < 3; v++)
        {
            var files = new List<(string, byte[])> { ("readme.md", System.Text.Encoding.UTF8.GetBytes($"# Tables\n\nEdition {v}.\n")) };
            if (v == 2)
            {
                files.Add(("wide.parquet", parquet.ToArray()));
                files.Add((LongName, "a long name"u8.ToArray()));
            }
            await PublishAsync(services, user, slug, "tables", run.Id, files);
        }

        await services.GetRequiredService<ArtifactAliases>().SetAsync(user, slug, "tables", "production", new SetAliasRequest("v2", "release"));
    }

    private static async Task PublishAsync(IServiceProvider services, ClaimsPrincipal user, string slug, string name, Guid runId, IReadOnlyList<(string Path, byte[] Bytes)> files)
    {
        var blobs = services.GetRequiredService<BlobUploads>();
        var entries = new List<ManifestEntryModel>();
        foreach (var (path, bytes) in files)
        {
            var digest = Convert.ToHexStringLower(SHA256.HashData(bytes));
            await blobs.PutAsync(user, digest, new MemoryStream(bytes), bytes.Length);
            entries.Add(new ManifestEntryModel(path, digest, bytes.Length));
        }

        var created = await services.GetRequiredService<CreateVersion>().FromEntriesAsync(
            user, slug, name, new NewVersionFields("dataset", "tables", "{}", null, runId), entries);
        await services.GetRequiredService<CommitVersion>().CommitAsync(user, slug, name, created.VersionId!.Value);
    }

    public sealed class WideRow
    {
        public int Id { get; set; }

        public string Text { get; set; } = "";

        public double Score { get; set; }
    }
}
