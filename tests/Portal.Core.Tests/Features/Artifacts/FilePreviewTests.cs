using System.Text;
using Portal.Core.Features.Artifacts;

namespace Portal.Core.Tests.Features.Artifacts;

public class FilePreviewTests
{
    private static FilePreviewResponse Preview(string path, string content, long? size = null)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        return FilePreview.Build(path, FilePreview.KindFor(path), size ?? bytes.Length, new string('a', 64), bytes);
    }

    [Theory]
    [InlineData("data/train.csv", PreviewKind.Csv)]
    [InlineData("DATA.TSV", PreviewKind.Tsv)]
    [InlineData("meta.json", PreviewKind.Json)]
    [InlineData("rows.jsonl", PreviewKind.JsonLines)]
    [InlineData("rows.ndjson", PreviewKind.JsonLines)]
    [InlineData("README.md", PreviewKind.Text)]
    [InlineData("train.py", PreviewKind.Text)]
    [InlineData("model.safetensors", PreviewKind.Binary)]
    [InlineData("table.parquet", PreviewKind.Parquet)]
    [InlineData("LICENSE", null)]
    public void The_kind_of_preview_follows_the_extension(string path, string? kind) => Assert.Equal(kind, FilePreview.KindFor(path));

    [Fact]
    public void Csv_becomes_columns_with_types_and_rows_with_quoted_fields()
    {
        var preview = Preview("t.csv", "id,name,score,ok\r\n1,\"Smith, J\",0.5,true\r\n2,\"say \"\"hi\"\"\",,false\r\n");
        Assert.Equal(["id", "name", "score", "ok"], preview.Columns.Select(c => c.Name));
        Assert.Equal(["integer", "text", "number", "bool"], preview.Columns.Select(c => c.Type));
        Assert.Equal(1, preview.Columns[2].Empty);
        Assert.Equal("Smith, J", preview.Rows[0][1]);
        Assert.Equal("say \"hi\"", preview.Rows[1][1]);
        Assert.False(preview.Truncated);
    }

    [Fact]
    public void A_csv_cut_off_mid_row_drops_the_partial_row_and_says_it_is_truncated()
    {
        var preview = Preview("t.csv", "a,b\n1,2\n3,4\n5,", size: 10_000_000);
        Assert.True(preview.Truncated);
        Assert.Equal(2, preview.Rows.Count);
    }

    [Fact]
    public void Csv_previews_stop_at_the_row_limit()
    {
        var text = "n\n" + string.Join("\n", Enumerable.Range(0, FilePreview.MaxRows + 50)) + "\n";
        var preview = Preview("t.csv", text);
        Assert.Equal(FilePreview.MaxRows, preview.Rows.Count);
        Assert.True(preview.Truncated);
    }

    [Fact]
    public void Tsv_splits_on_tabs()
    {
        var preview = Preview("t.tsv", "a\tb\n1,5\t2\n");
        Assert.Equal("1,5", preview.Rows[0][0]);
    }

    [Fact]
    public void Whole_json_is_indented_and_broken_json_is_shown_as_text()
    {
        Assert.Contains("\n  \"a\": 1", Preview("m.json", "{\"a\":1}").Text, StringComparison.Ordinal);
        var broken = Preview("m.json", "{\"a\":");
        Assert.Equal(PreviewKind.Text, broken.Kind);
        Assert.StartsWith("Not valid JSON", broken.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_lines_show_the_first_records_pretty_printed()
    {
        var text = string.Join("\n", Enumerable.Range(0, FilePreview.MaxJsonRecords + 5).Select(i => $"{{\"id\":{i}}}"));
        var preview = Preview("r.jsonl", text);
        Assert.Equal(FilePreview.MaxJsonRecords, preview.Records);
        Assert.True(preview.Truncated);
        Assert.Contains("\"id\": 0", preview.Text, StringComparison.Ordinal);
        Assert.DoesNotContain($"\"id\": {FilePreview.MaxJsonRecords}", preview.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Bytes_with_nul_are_binary_and_have_no_text()
    {
        var preview = FilePreview.Build("blob.dat", null, 4, new string('a', 64), [1, 0, 2, 3]);
        Assert.Equal(PreviewKind.Binary, preview.Kind);
        Assert.Null(preview.Text);
    }

    [Fact]
    public void A_cut_inside_a_multibyte_character_does_not_show_a_replacement_mark()
    {
        var bytes = Encoding.UTF8.GetBytes("naïve ✓");
        var cut = bytes[..^1];
        var preview = FilePreview.Build("a.txt", PreviewKind.Text, bytes.Length, new string('a', 64), cut);
        Assert.Equal("naïve ", preview.Text);
        Assert.True(preview.Truncated);
    }
}
