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
/// Logic of the search box, line diffs, column statistics, Parquet previews, metadata filters and the storage chart,
/// without a database.
/// </summary>
public sealed class PagesFeatureLogicTests : BunitContext, IAsyncLifetime
{
    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    public PagesFeatureLogicTests()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    [Fact]
    public void A_line_diff_keeps_unchanged_lines_and_numbers_both_sides()
    {
        var lines = TextDiff.Compute("a\nb\nc\nd\n", "a\nB\nc\nd\ne\n");

        Assert.Equal(
            [(DiffOp.Equal, "a", 1, 1), (DiffOp.Removed, "b", 2, null), (DiffOp.Added, "B", null, 2), (DiffOp.Equal, "c", 3, 3), (DiffOp.Equal, "d", 4, 4), (DiffOp.Added, "e", null, 5)],
            lines.Select(l => (l.Op, l.Text, l.OldNumber, l.NewNumber)));
    }

    [Fact]
    public void Line_diffs_are_shortest_edit_scripts_that_rebuild_both_sides()
    {
        var random = new Random(42);
        for (var round = 0; round < 300; round++)
        {
            var a = Enumerable.Range(0, random.Next(0, 40)).Select(_ => "l" + random.Next(0, 6)).ToList();
            var b = Enumerable.Range(0, random.Next(0, 40)).Select(_ => "l" + random.Next(0, 6)).ToList();

            var lines = TextDiff.Compute(a, b);

            Assert.Equal(a, lines.Where(l => l.Op != DiffOp.Added).Select(l => l.Text));
            Assert.Equal(b, lines.Where(l => l.Op != DiffOp.Removed).Select(l => l.Text));
            // Shortest: the unchanged lines are a longest common subsequence.
            Assert.Equal(LongestCommonSubsequence(a, b), lines.Count(l => l.Op == DiffOp.Equal));
        }
    }

    [Fact]
    public void Unrelated_large_texts_past_the_edit_bound_become_one_replacement()
    {
        var a = Enumerable.Range(0, 3000).Select(i => $"old {i}").ToList();
        var b = Enumerable.Range(0, 3000).Select(i => $"new {i}").ToList();

        var lines = TextDiff.Compute(a, b);

        Assert.Equal(3000, lines.Count(l => l.Op == DiffOp.Removed));
        Assert.Equal(3000, lines.Count(l => l.Op == DiffOp.Added));
        Assert.True(lines.TakeWhile(l => l.Op == DiffOp.Removed).Count() == 3000);
    }

    [Fact]
    public void Hunks_keep_context_around_changes_and_count_the_skipped_lines()
    {
        var a = Enumerable.Range(1, 20).Select(i => $"line {i}").ToList();
        var b = a.ToList();
        b[9] = "changed";

        var hunks = TextDiff.Hunks(TextDiff.Compute(a, b), context: 2);

        var hunk = Assert.Single(hunks);
        Assert.Equal(7, hunk.Skipped);
        Assert.Equal(["line 8", "line 9", "line 10", "changed", "line 11", "line 12"], hunk.Lines.Select(l => l.Text));
    }

    [Fact]
    public void Side_by_side_pairs_removed_with_added_lines_of_the_same_change()
    {
        var rows = TextDiff.SideBySide(TextDiff.Compute("x\nold1\nold2\ny\n", "x\nnew1\ny\n"));

        Assert.Equal(
            [("x", "x"), ("old1", "new1"), ("old2", null), ("y", "y")],
            rows.Select(r => (r.Left?.Text, r.Right?.Text)));
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
    public void Column_statistics_count_values_and_empties_and_find_the_range_mean_and_top_values()
    {
        var numbers = ColumnStatistics.Compute("score", ["1", "2", "", "2", "10", null]);
        Assert.Equal(("integer", 4, 2, "1", "10", 3.75), (numbers.Type, numbers.Values, numbers.Nulls, numbers.Min, numbers.Max, numbers.Mean!.Value));
        Assert.Equal(new TopValue("2", 2), numbers.Top[0]);
        Assert.Equal(3, numbers.Distinct);

        var labels = ColumnStatistics.Compute("label", ["pos", "neg", "pos", "neu"]);
        Assert.Equal(("text", "neg", "pos", (double?)null), (labels.Type, labels.Min, labels.Max, labels.Mean));
        Assert.Equal([new TopValue("pos", 2), new TopValue("neg", 1), new TopValue("neu", 1)], labels.Top);
        var many = ColumnStatistics.Compute("id", Enumerable.Range(0, 50).Select(i => (string?)$"u{i}").Append("u7").ToList());
        Assert.Equal([new TopValue("u7", 2)], many.Top);
        Assert.Equal("bool", ColumnStatistics.Compute("ok", ["true", "False"]).Type);
        Assert.Equal("empty", ColumnStatistics.Compute("none", ["", null]).Type);
    }

    [Fact]
    public void Csv_statistics_cover_every_row_of_a_small_file_and_only_the_head_of_a_large_one()
    {
        var small = "id,label\n1,a\n2,\n3,a\n"u8.ToArray();
        var whole = FilePreview.Build("t.csv", PreviewKind.Csv, small.Length, "d", small);
        Assert.True(whole.StatsWholeFile);
        Assert.Equal(3, whole.StatsRows);
        Assert.Equal((3, 0, "1", "3", 2.0), (whole.Stats[0].Values, whole.Stats[0].Nulls, whole.Stats[0].Min, whole.Stats[0].Max, whole.Stats[0].Mean!.Value));
        Assert.Equal(1, whole.Stats[1].Nulls);

        // A head ending on a whole line keeps every row; statistics say they cover only the head.
        var rows = string.Concat(Enumerable.Range(0, 1000).Select(i => $"{i},x\n"));
        var head = System.Text.Encoding.UTF8.GetBytes("id,label\n" + rows);
        var partial = FilePreview.Build("t.csv", PreviewKind.Csv, head.Length * 10L, "d", head);
        Assert.False(partial.StatsWholeFile);
        Assert.Equal(FilePreview.MaxRows, partial.Rows.Count);
        Assert.Equal(1000, partial.StatsRows);
        Assert.Contains("only", FilePreviewPanel.StatsScope(partial), StringComparison.Ordinal);
    }

    [Fact]
    public void Json_lines_statistics_are_per_top_level_field_with_missing_fields_counted_empty()
    {
        var text = "{\"id\":1,\"tag\":\"a\"}\n{\"id\":2}\n{\"id\":3,\"tag\":\"a\",\"extra\":true}\n"u8.ToArray();

        var preview = FilePreview.Build("r.jsonl", PreviewKind.JsonLines, text.Length, "d", text);

        Assert.Equal(["id", "tag", "extra"], preview.Stats.Select(s => s.Name));
        Assert.Equal(("integer", 3, 0), (preview.Stats[0].Type, preview.Stats[0].Values, preview.Stats[0].Nulls));
        Assert.Equal((2, 1), (preview.Stats[1].Values, preview.Stats[1].Nulls));
        Assert.Equal((1, 2, "bool"), (preview.Stats[2].Values, preview.Stats[2].Nulls, preview.Stats[2].Type));
        Assert.Equal(3, preview.Records);
    }

    [Fact]
    public async Task Parquet_previews_as_a_typed_table_with_the_footers_row_count_and_statistics()
    {
        var rows = Enumerable.Range(0, 300).Select(i => new ParquetRow { Id = i, Label = i % 3 == 0 ? null : $"l{i % 2}", Score = i / 10.0 }).ToList();
        using var stream = new MemoryStream();
        await ParquetSerializer.SerializeAsync(rows, stream);
        stream.Position = 0;

        var preview = await ParquetPreview.BuildAsync("t.parquet", stream.Length, "d", stream, default);

        Assert.Equal(PreviewKind.Parquet, preview.Kind);
        Assert.Equal(["Id:int32", "Label:string", "Score:double"], preview.Columns.Select(c => $"{c.Name}:{c.Type}"));
        Assert.Equal(300, preview.TotalRows);
        Assert.Equal(FilePreview.MaxRows, preview.Rows.Count);
        Assert.Equal(["0", "", "0"], preview.Rows[0]);
        Assert.Equal(["1", "l1", "0.1"], preview.Rows[1]);
        Assert.True(preview.StatsWholeFile);
        Assert.Equal((300, 0, "0", "299"), (preview.Stats[0].Values, preview.Stats[0].Nulls, preview.Stats[0].Min, preview.Stats[0].Max));
        Assert.Equal(100, preview.Stats[1].Nulls);
        Assert.Equal(14.95, preview.Stats[2].Mean!.Value, 6);
    }

    [Fact]
    public async Task A_file_that_is_not_parquet_says_so_instead_of_failing()
    {
        using var stream = new MemoryStream("not parquet at all"u8.ToArray());
        var preview = await ParquetPreview.BuildAsync("t.parquet", stream.Length, "d", stream, default);
        Assert.Contains("Not a readable Parquet file", preview.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a.png", "image/png")]
    [InlineData("b/c.JPG", "image/jpeg")]
    [InlineData("d.svg", "image/svg+xml")]
    [InlineData("e.webp", "image/webp")]
    [InlineData("f.html", null)]
    [InlineData("g.svgz", null)]
    public void Only_known_image_types_are_served_as_images(string path, string? type)
    {
        Assert.Equal(type, FilePreview.ImageContentType(path));
        Assert.Equal(type is not null, FilePreview.KindFor(path) == PreviewKind.Image);
    }

    [Theory]
    [InlineData("{\"split\":\"train\"}", "split=train", true)]
    [InlineData("{\"split\":\"test\"}", "split=train", false)]
    [InlineData("{\"rows\":1000}", "rows=1e3", true)]
    [InlineData("{\"source\":{\"team\":\"search\"}}", "source.team=search", true)]
    [InlineData("{\"source\":\"search\"}", "source.team=search", false)]
    [InlineData("{\"ok\":true}", "ok=true", true)]
    [InlineData("{\"gone\":null}", "gone=null", true)]
    [InlineData("not json", "a=b", false)]
    public void Metadata_filters_match_strings_numbers_booleans_and_nested_keys(string json, string filter, bool matches) =>
        Assert.Equal(matches, MetadataFilter.Parse(filter)!.Matches(json));

    [Theory]
    [InlineData("split")]
    [InlineData("=train")]
    [InlineData("a..b=c")]
    public void A_metadata_filter_without_a_key_is_refused(string filter) =>
        Assert.Equal(ErrorCodes.ValidationFailed, Assert.Throws<PortalException>(() => MetadataFilter.Parse(filter)).Code);

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

    private static int LongestCommonSubsequence(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var table = new int[a.Count + 1, b.Count + 1];
        for (var i = 1; i <= a.Count; i++)
        {
            for (var j = 1; j <= b.Count; j++)
                table[i, j] = a[i - 1] == b[j - 1] ? table[i - 1, j - 1] + 1 : Math.Max(table[i - 1, j], table[i, j - 1]);
        }

        return table[a.Count, b.Count];
    }

    public sealed class ParquetRow
    {
        public int Id { get; set; }

        public string? Label { get; set; }

        public double Score { get; set; }
    }
}
