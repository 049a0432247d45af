using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Parquet.Serialization;
using Portal.Core;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Projects;
using Portal.Web.Features.Artifacts;
using Portal.Web.Features.Projects;
using Portal.Web.Features.Search;

namespace Portal.Web.Tests.Components;

/// <summary>
/// What page components compute and render from use-case results, without a database: the diff view, the storage
/// chart, the search dropdown. (The logic they show is tested beside its feature in Portal.Core.Tests.)
/// </summary>
public sealed class PageComponentTests : BunitContext, IAsyncLifetime
{
    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    public PageComponentTests()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    [Fact]
    public void The_diff_view_renders_markers_inline_and_columns_side_by_side_with_text_never_as_markup()
    {
        var lines = TextDiff.Compute("keep\n<b>old</b>\n", "keep\n<script>alert(1)</script>\n");

        var inline = Render<TextDiffView>(p => p.Add(x => x.Lines, lines));
        Assert.Equal(["", "−", "+"], inline.FindAll("td.portal-diff-marker").Select(td => td.TextContent));
        Assert.Single(inline.FindAll("tr.portal-diff-added"));
        Assert.Empty(inline.FindAll("script"));
        Assert.Empty(inline.FindAll("b"));
        Assert.Contains("<script>alert(1)</script>", inline.FindAll("td.portal-diff-text").Select(td => td.TextContent));

        var split = Render<TextDiffView>(p => p.Add(x => x.Lines, lines).Add(x => x.SideBySide, true));
        var changed = split.FindAll("tr")[^1].QuerySelectorAll("td.portal-diff-text");
        Assert.Equal("<b>old</b>", changed[0].TextContent);
        Assert.Contains("portal-diff-removed", changed[0].ClassName, StringComparison.Ordinal);
        Assert.Equal("<script>alert(1)</script>", changed[1].TextContent);
        Assert.Contains("portal-diff-added", changed[1].ClassName, StringComparison.Ordinal);
    }

    [Fact]
    public void Storage_by_day_walks_todays_totals_back_through_what_each_day_added()
    {
        var today = new DateOnly(2026, 3, 30);

        var days = ProjectDashboard.StorageByDay(today, 1000, 400, [(today, 300L), (today.AddDays(-2), 200L)], [(today, 100L)]);

        Assert.Equal(ProjectDashboard.ChartDays, days.Count);
        Assert.Equal(new StorageOnDay(today, 1000, 400), days[^1]);
        Assert.Equal(new StorageOnDay(today.AddDays(-1), 700, 300), days[^2]);
        Assert.Equal(new StorageOnDay(today.AddDays(-3), 500, 300), days[^4]);
        var (series, unit) = ProjectOverview.BuildStorageChart(days);
        Assert.Equal("bytes", unit);
        Assert.Equal(["logical", "stored"], series.Select(s => s.Name));
    }

    [Fact]
    public void The_search_dropdown_lists_artifacts_versions_runs_then_the_way_to_all_results()
    {
        var found = new SearchResponse("corpus",
            [new SearchHit(SearchHitKind.Artifact, "p", "corpus", "dataset", "/a", "name")],
            [new SearchHit(SearchHitKind.Version, "p", "corpus:v1", "alias", "/v", "alias")],
            [new SearchHit(SearchHitKind.Run, "p", "prep-corpus", "data_processing", "/r", "name")],
            Capped: true);

        var hits = SearchBox.Flatten(found).ToList();

        Assert.Equal([SearchHitKind.Artifact, SearchHitKind.Version, SearchHitKind.Run, "all"], hits.Select(h => h.Kind));
        Assert.Equal("/search?q=corpus", hits[^1].Href);
        Assert.Empty(SearchBox.Flatten(new SearchResponse("zzz", [], [], [], false)));
    }

    [Fact]
    public void The_statistics_caption_says_when_it_covers_only_the_head_of_a_file()
    {
        var head = System.Text.Encoding.UTF8.GetBytes("id,label\n" + string.Concat(Enumerable.Range(0, 1000).Select(i => $"{i},x\n")));
        var partial = FilePreview.Build("t.csv", PreviewKind.Csv, head.Length * 10L, "d", head);
        var whole = FilePreview.Build("t.csv", PreviewKind.Csv, head.Length, "d", head);

        Assert.Contains("only", FilePreviewPanel.StatsScope(partial), StringComparison.Ordinal);
        Assert.DoesNotContain("only", FilePreviewPanel.StatsScope(whole), StringComparison.Ordinal);
    }
}
