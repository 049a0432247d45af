using Parquet.Serialization;
using Portal.Core.Features.Artifacts;

namespace Portal.Core.Tests.Features.Artifacts;

/// <summary>File previews: column statistics of CSV and JSON lines, Parquet tables, image types.</summary>
public sealed class FilePreviewTests
{
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
    public async Task A_parquet_file_over_10_mb_shows_schema_and_first_rows_reading_only_its_footer_and_first_row_group()
    {
        var random = new Random(20261205);
        var rows = Enumerable.Range(0, 300_000).Select(i =>
        {
            var bytes = new byte[48];
            random.NextBytes(bytes);
            return new WideRow { Id = i, Text = Convert.ToBase64String(bytes), Score = random.NextDouble() };
        }).ToList();
        using var file = new MemoryStream();
        await ParquetSerializer.SerializeAsync(rows, file, new Parquet.ParquetOptions { RowGroupSize = 30_000 });
        Assert.True(file.Length > 10 * 1024 * 1024, $"the generated file has {file.Length} bytes");
        file.Position = 0;
        using var counting = new CountingStream(file);

        var preview = await ParquetPreview.BuildAsync("wide.parquet", file.Length, "d", counting, default);

        Assert.Equal(PreviewKind.Parquet, preview.Kind);
        Assert.Equal(["Id:int32", "Text:string", "Score:double"], preview.Columns.Select(c => $"{c.Name}:{c.Type}"));
        Assert.Equal(300_000, preview.TotalRows);
        Assert.Equal(FilePreview.MaxRows, preview.Rows.Count);
        Assert.Equal((rows[1].Id.ToString(System.Globalization.CultureInfo.InvariantCulture), rows[1].Text), (preview.Rows[1][0], preview.Rows[1][1]));
        Assert.Contains("First 200 of 300,000 rows (10 row groups)", preview.Message, StringComparison.Ordinal);
        Assert.Equal(30_000, preview.StatsRows);
        Assert.False(preview.StatsWholeFile);
        // One row group of ten, plus the footer: far less than the file.
        Assert.True(counting.BytesRead < file.Length / 4, $"read {counting.BytesRead} of {file.Length} bytes");
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

    public sealed class WideRow
    {
        public int Id { get; set; }

        public string Text { get; set; } = "";

        public double Score { get; set; }
    }

    /// <summary>Counts the bytes a reader takes from a seekable stream.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => inner.Position = value; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            BytesRead += read;
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            BytesRead += read;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    public sealed class ParquetRow
    {
        public int Id { get; set; }

        public string? Label { get; set; }

        public double Score { get; set; }
    }
}
