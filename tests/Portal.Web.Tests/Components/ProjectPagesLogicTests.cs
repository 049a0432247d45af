using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Projects;
using Portal.Web.Components.Shared;
using Portal.Web.Features.Artifacts;
using Portal.Web.Features.Projects;
using Portal.Web.Features.Runs;

namespace Portal.Web.Tests.Components;

/// <summary>The project pages' logic that needs no database: deep links, paging, filters, chart shaping, sanitising.</summary>
public sealed class ProjectPagesLogicTests : BunitContext, IAsyncLifetime
{
    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    public ProjectPagesLogicTests()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    [Theory]
    [InlineData(null, 0)]
    [InlineData("overview", 0)]
    [InlineData("runs", 1)]
    [InlineData("artifacts", 2)]
    [InlineData("members", 3)]
    [InlineData("nonsense", 0)]
    public void Deep_links_open_the_named_project_tab(string? tab, int index) =>
        Assert.Equal(index, ProjectPage.TabIndex(tab));

    [Fact]
    public void Markdown_descriptions_render_formatting_but_lose_scripts_handlers_and_javascript_links()
    {
        var cut = Render<MarkdownView>(p => p.Add(x => x.Markdown,
            "**bold** and [docs](https://example.com)\n\n<script>alert('x')</script>\n\n<img src=\"a.png\" onerror=\"alert(1)\">\n\n[click](javascript:alert(1))\n\n<div onclick=\"steal()\" style=\"position:fixed\">box</div>"));

        Assert.Equal("bold", cut.Find("strong").TextContent);
        var link = cut.Find("a[href='https://example.com']");
        Assert.Contains("noopener", link.GetAttribute("rel"), StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("script"));
        Assert.DoesNotContain("onerror", cut.Markup, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("onclick", cut.Markup, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("javascript:", cut.Markup, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("position:fixed", cut.Markup, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("box", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_description_renders_nothing() =>
        Assert.Equal("", Render<MarkdownView>(p => p.Add(x => x.Markdown, "   ")).Find("div").InnerHtml);

    [Fact]
    public async Task The_keyset_pager_walks_forward_once_and_then_reuses_the_tokens_it_saw()
    {
        var calls = new List<string?>();
        Task<PagedResponse<int>> Fetch(string? token)
        {
            calls.Add(token);
            var start = token is null ? 0 : int.Parse(token, System.Globalization.CultureInfo.InvariantCulture);
            var items = Enumerable.Range(start, Math.Min(10, 35 - start)).ToList();
            var next = start + 10 < 35 ? (start + 10).ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
            return Task.FromResult(new PagedResponse<int>(items, 35, next));
        }

        var pager = new KeysetPager();
        var third = await pager.PageAsync<int>(2, Fetch);
        Assert.Equal(20, third.Items[0]);
        Assert.Equal([null, "10", "20"], calls);

        calls.Clear();
        var second = await pager.PageAsync<int>(1, Fetch);
        Assert.Equal(10, second.Items[0]);
        Assert.Equal(["10"], calls);

        var beyond = await pager.PageAsync<int>(9, Fetch);
        Assert.Equal([30, 31, 32, 33, 34], beyond.Items);

        pager.Reset();
        calls.Clear();
        await pager.PageAsync<int>(1, Fetch);
        Assert.Equal([null, "10"], calls);
    }

    [Fact]
    public void The_file_list_shows_folders_first_and_filters_by_name()
    {
        VersionFileItem[] items =
        [
            new("file", "a.csv", "a.csv", "d1", 10),
            new("folder", "images/", "images"),
            new("file", "Notes.txt", "Notes.txt", "d2", 5),
            new("folder", "notebooks/", "notebooks"),
        ];

        Assert.Equal(["images", "notebooks", "a.csv", "Notes.txt"], FileBrowser.Filtered(items, null).Select(i => i.Name));
        Assert.Equal(["notebooks", "Notes.txt"], FileBrowser.Filtered(items, " note ").Select(i => i.Name));
    }

    [Fact]
    public void FileBrowser_sorts_by_name_with_folders_first_or_by_size()
    {
        VersionFileItem[] items =
        [
            new("file", "b.csv", "b.csv", "d1", 10),
            new("folder", "z/", "z"),
            new("file", "a.txt", "a.txt", "d2", 500),
            new("folder", "m/", "m"),
        ];

        Assert.Equal(["b.csv", "z", "a.txt", "m"], FileBrowser.Sorted(items, FileBrowser.FileSort.None, false).Select(i => i.Name));
        Assert.Equal(["m", "z", "a.txt", "b.csv"], FileBrowser.Sorted(items, FileBrowser.FileSort.Name, false).Select(i => i.Name));
        Assert.Equal(["b.csv", "a.txt", "z", "m"], FileBrowser.Sorted(items, FileBrowser.FileSort.Name, true).Select(i => i.Name));
        Assert.Equal(["z", "m", "b.csv", "a.txt"], FileBrowser.Sorted(items, FileBrowser.FileSort.Size, false).Select(i => i.Name));
        Assert.Equal(["a.txt", "b.csv", "z", "m"], FileBrowser.Sorted(items, FileBrowser.FileSort.Size, true).Select(i => i.Name));
    }

    [Fact]
    public void The_versions_chart_stacks_one_series_per_type_over_thirty_days()
    {
        var today = new DateOnly(2026, 11, 24);
        VersionsPerDay[] perDay = [new(today, "dataset", 2), new(today.AddDays(-1), "model", 1), new(today, "model", 3)];

        var (series, labels) = ProjectOverview.BuildChart(perDay, today);

        Assert.Equal(["dataset", "model"], series.Select(s => s.Name));
        Assert.Equal(ProjectDashboard.ChartDays, labels.Length);
        Assert.Equal(2, series[0].Data.Values[^1]);
        Assert.Equal(3, series[1].Data.Values[^1]);
        Assert.Equal(1, series[1].Data.Values[^2]);
        Assert.Equal("24 Nov", labels[^1]);
        Assert.Equal("", labels[^2]);
    }

    [Fact]
    public void Run_summaries_show_their_first_numeric_values()
    {
        using var summary = System.Text.Json.JsonDocument.Parse("{\"note\":\"x\",\"accuracy\":0.93126,\"loss\":0.00001,\"steps\":12000,\"f1\":0.5}");
        Assert.Equal("accuracy 0.9313 · loss 1e-5 · steps 12000", RunsTable.SummaryLine(summary.RootElement));
    }

    [Fact]
    public void Metric_charts_thin_long_histories_and_fit_their_axis()
    {
        var points = Enumerable.Range(0, 10_000).Select(i => new MetricPointResponse(i, 5000 + i, DateTimeOffset.UnixEpoch)).ToList();

        var chart = RunPage.ToChart(new MetricHistoryResponse("throughput", points));

        Assert.InRange(chart.Series[0].Data.Count, 300, 401);
        Assert.Equal(14_999, chart.Last);
        Assert.Equal(10_000, chart.Points);
        Assert.Equal(2000, chart.Options.YAxisTicks);
        Assert.Equal(0.1, RunPage.TickSpacing(0.55, 0.95), 6);
    }

    [Fact]
    public void Compare_rows_say_what_changed_in_size_and_digest()
    {
        var modified = new VersionDiffItem(DiffChange.Modified, "a.csv", null, new string('a', 64), new string('b', 64), 1024, 2048);
        var added = new VersionDiffItem(DiffChange.Added, "b.csv", null, null, new string('c', 64), null, 10);

        Assert.Equal("1.0 KB → 2.0 KB", ComparePage.SizeChange(modified));
        Assert.Equal("aaaaaaaaaaaa → bbbbbbbbbbbb", ComparePage.DigestChange(modified));
        Assert.Equal("10 B", ComparePage.SizeChange(added));
        Assert.Equal(4, ComparePage.CountOf(new VersionDiffSummary(1, 2, 3, 4, 0, 0), DiffChange.Renamed));
    }

    [Fact]
    public void The_range_summary_counts_shared_ranges_out_of_all_distinct_ones()
    {
        // 1,006 ranges shared by both versions, 20 unshared ones read: never "1,006 of 20".
        Assert.Equal("1,006 of 1,026 manifest ranges shared and skipped, 20 read", ComparePage.RangeSummary(new VersionDiffSummary(1, 0, 0, 0, 1006, 20)));
        Assert.Equal("0 of 3 manifest ranges shared and skipped, 3 read", ComparePage.RangeSummary(new VersionDiffSummary(5, 0, 0, 0, 0, 3)));
        Assert.Equal("no manifest ranges", ComparePage.RangeSummary(new VersionDiffSummary(0, 0, 0, 0, 0, 0)));
    }

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(1023, "1,023 B")]
    [InlineData(1536, "1.5 KB")]
    [InlineData(5L * 1024 * 1024 * 1024, "5.0 GB")]
    public void Sizes_read_like_people_write_them(long bytes, string text) => Assert.Equal(text, DisplayFormat.Bytes(bytes));

    [Fact]
    public void Usage_snippets_fetch_exactly_this_version()
    {
        var version = new ArtifactVersionResponse(Guid.NewGuid(), "reviews", "dataset", 3, "v3", new string('a', 64), 2, 10,
            default, "", null, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, []);

        Assert.Equal("portal artifact get reviews:v3 -p nlp -o ./reviews", VersionPage.CliSnippet("nlp", version));
        Assert.Contains("ResolveVersionAsync(\"nlp\", \"reviews:v3\")", VersionPage.SdkSnippet("https://portal", "nlp", version), StringComparison.Ordinal);
    }
}
