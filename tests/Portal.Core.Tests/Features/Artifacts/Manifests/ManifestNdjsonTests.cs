using System.IO.Compression;
using System.IO.Pipelines;
using System.Text;
using Portal.Client;
using Portal.Core.Features.Artifacts.Manifests;
using Xunit;

namespace Portal.Core.Tests.Features.Artifacts.Manifests;

public class ManifestNdjsonTests
{
    private static readonly string Digest = ManifestVectors.Sha256Hex("x");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Writer_output_reads_back_identically(bool gzip)
    {
        var entries = ManifestVectors.Docs(5000)
            .Append(new ManifestEntry("caf\u00E9/\U0001F600 \"quoted\".txt", Digest, 7, "s3://bucket/key?x=1", "{\"label\":\"cat\",\"nested\":{\"a\":[1,2]}}"))
            .ToList();
        using var body = new MemoryStream();

        await ManifestNdjsonWriter.WriteAllAsync(body, entries, gzip);
        body.Position = 0;
        var read = await ManifestNdjsonReader.ReadAsync(body).ToListAsync();

        Assert.Equal(entries, read);
        Assert.Equal(gzip, body.ToArray() is [0x1f, 0x8b, ..]);
    }

    [Fact]
    public async Task Reads_the_documented_line_format()
    {
        var ndjson = $$$"""
            {"path":"a/b.txt","digest":"{{{Digest}}}","size":12}
            {"size":3,"digest":"{{{Digest}}}","path":"c.txt","ref":"s3://bucket/c","extra":{"k": [1, {"x": null}]}}
            {"path":"d.txt","digest":"{{{Digest}}}","size":0,"ref":null,"extra":null,"future_field":{"ignored":[1,2,3]}}
            """;

        var entries = await Read(ndjson);

        Assert.Equal(
            [
                new ManifestEntry("a/b.txt", Digest, 12),
                new ManifestEntry("c.txt", Digest, 3, "s3://bucket/c", "{\"k\": [1, {\"x\": null}]}"),
                new ManifestEntry("d.txt", Digest, 0),
            ],
            entries);
    }

    [Fact]
    public async Task Blank_lines_CRLF_BOM_and_a_missing_final_newline_are_fine()
    {
        var line = $"{{\"path\":\"a\",\"digest\":\"{Digest}\",\"size\":1}}";
        var body = "\uFEFF" + line + "\r\n\r\n   \n\t\n" + line.Replace("\"a\"", "\"b\"", StringComparison.Ordinal) + "\n\n" + line.Replace("\"a\"", "\"c\"", StringComparison.Ordinal);

        var entries = await Read(body);

        Assert.Equal(["a", "b", "c"], entries.Select(e => e.Path));
    }

    [Fact]
    public async Task Empty_body_is_an_empty_manifest()
    {
        Assert.Empty(await Read(""));
        Assert.Empty(await Read("\n\n"));
    }

    [Theory]
    [InlineData("{\"path\":\"a\",\"digest\":\"D\",\"size\":1", "not valid JSON")]
    [InlineData("[1,2]", "one JSON object")]
    [InlineData("\"just a string\"", "one JSON object")]
    [InlineData("{\"digest\":\"D\",\"size\":1}", "\"path\" is missing")]
    [InlineData("{\"path\":\"a\",\"size\":1}", "\"digest\" is missing")]
    [InlineData("{\"path\":\"a\",\"digest\":\"D\"}", "\"size\" is missing")]
    [InlineData("{\"path\":1,\"digest\":\"D\",\"size\":1}", "\"path\" must be a string")]
    [InlineData("{\"path\":\"a\",\"digest\":\"D\",\"size\":\"12\"}", "\"size\" must be an integer")]
    [InlineData("{\"path\":\"a\",\"digest\":\"D\",\"size\":1.5}", "\"size\" must be an integer")]
    [InlineData("{\"path\":\"a\",\"digest\":\"D\",\"size\":1,\"ref\":5}", "\"ref\" must be a string")]
    [InlineData("{\"path\":\"a\",\"digest\":\"D\",\"size\":1,\"extra\":[1]}", "\"extra\" must be a JSON object")]
    [InlineData("{\"path\":\"a\",\"path\":\"b\",\"digest\":\"D\",\"size\":1}", "\"path\" appears more than once")]
    [InlineData("{\"path\":\"a\",\"digest\":\"D\",\"size\":1} {}", "not valid JSON")]
    [InlineData("{\"path\":\"a\\ud800\",\"digest\":\"D\",\"size\":1}", "unpaired surrogate")]
    public async Task Malformed_line_is_400_with_its_line_number(string badLine, string expectedProblem)
    {
        var good = $"{{\"path\":\"ok\",\"digest\":\"{Digest}\",\"size\":1}}";
        var body = good + "\n\n" + badLine.Replace("\"D\"", $"\"{Digest}\"", StringComparison.Ordinal) + "\n" + good;

        var error = await Assert.ThrowsAsync<PortalException>(() => Read(body));

        Assert.Equal((400, ErrorCodes.ManifestMalformed), (error.Status, error.Code));
        Assert.Equal(3L, error.Extensions["line"]);
        Assert.StartsWith("Manifest line 3: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expectedProblem, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../escape.txt", ErrorCodes.PathInvalid)]
    [InlineData("a\\u0000b", ErrorCodes.PathInvalid)]
    [InlineData("cafe\\u0301", ErrorCodes.PathInvalid)]
    public async Task Invalid_path_is_path_invalid_with_line_and_path(string jsonPath, string code)
    {
        var body = $"{{\"path\":\"fine\",\"digest\":\"{Digest}\",\"size\":1}}\n{{\"path\":\"{jsonPath}\",\"digest\":\"{Digest}\",\"size\":1}}\n";

        var error = await Assert.ThrowsAsync<PortalException>(() => Read(body));

        Assert.Equal((400, code), (error.Status, error.Code));
        Assert.Equal(2L, error.Extensions["line"]);
        Assert.NotNull(error.Extensions["path"]);
        Assert.StartsWith("Manifest line 2: Path \"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Entry_value_errors_keep_their_code_and_get_the_line()
    {
        var error = await Assert.ThrowsAsync<PortalException>(() => Read("{\"path\":\"a\",\"digest\":\"ABC\",\"size\":1}"));
        Assert.Equal((ErrorCodes.DigestInvalid, 1L), (error.Code, error.Extensions["line"]));

        error = await Assert.ThrowsAsync<PortalException>(() => Read($"{{\"path\":\"a\",\"digest\":\"{Digest}\",\"size\":-1}}"));
        Assert.Equal((ErrorCodes.SizeInvalid, 1L), (error.Code, error.Extensions["line"]));

        error = await Assert.ThrowsAsync<PortalException>(() => Read($"{{\"path\":\"a\",\"digest\":\"{Digest}\",\"size\":1,\"ref\":\"/etc/passwd\"}}"));
        Assert.Equal((ErrorCodes.RefInvalid, 1L), (error.Code, error.Extensions["line"]));
    }

    [Fact]
    public async Task Gzip_is_detected_by_magic_bytes_and_errors_count_decompressed_lines()
    {
        var body = new MemoryStream();
        await using (var gzip = new GZipStream(body, CompressionLevel.Optimal, leaveOpen: true))
        {
            await gzip.WriteAsync(Encoding.UTF8.GetBytes($"{{\"path\":\"a\",\"digest\":\"{Digest}\",\"size\":1}}\n\nnot json\n"));
        }
        body.Position = 0;

        var error = await Assert.ThrowsAsync<PortalException>(() => ManifestNdjsonReader.ReadAsync(body).ToListAsync().AsTask());

        Assert.Equal(3L, error.Extensions["line"]);
    }

    [Fact]
    public async Task Corrupt_gzip_is_manifest_malformed()
    {
        // A valid gzip header followed by a deflate block of the reserved type 11.
        byte[] body = [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x07, 0x00, 0x01, 0x02, 0x03];

        var error = await Assert.ThrowsAsync<PortalException>(() => ManifestNdjsonReader.ReadAsync(new MemoryStream(body)).ToListAsync().AsTask());

        Assert.Equal(ErrorCodes.ManifestMalformed, error.Code);
        Assert.Contains("gzip", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Truncated_gzip_is_rejected_even_at_a_line_boundary()
    {
        // GZipStream on its own reads a truncated body as a shorter, valid one; a flush point after the first line
        // makes the truncated body decompress to exactly one complete line.
        var body = new MemoryStream();
        int cut;
        await using (var gzip = new GZipStream(body, CompressionLevel.Optimal, leaveOpen: true))
        {
            await gzip.WriteAsync(Encoding.UTF8.GetBytes($"{{\"path\":\"a\",\"digest\":\"{Digest}\",\"size\":1}}\n"));
            await gzip.FlushAsync();
            cut = (int)body.Length;
            await gzip.WriteAsync(Encoding.UTF8.GetBytes($"{{\"path\":\"b\",\"digest\":\"{Digest}\",\"size\":1}}\n"));
        }
        var complete = body.ToArray();
        using (var plain = new GZipStream(new MemoryStream(complete[..cut]), CompressionMode.Decompress))
            Assert.Equal(1, Encoding.UTF8.GetString(ReadAll(plain)).Count(c => c == '\n'));

        Assert.Equal(2, (await ManifestNdjsonReader.ReadAsync(new MemoryStream(complete)).ToListAsync()).Count);
        foreach (var length in new[] { cut, complete.Length - 1, complete.Length - 4 })
        {
            var error = await Assert.ThrowsAsync<PortalException>(() => ManifestNdjsonReader.ReadAsync(new MemoryStream(complete[..length])).ToListAsync().AsTask());
            Assert.Equal(ErrorCodes.ManifestMalformed, error.Code);
            Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Overlong_line_is_rejected_without_buffering_the_rest()
    {
        var body = new StringBuilder($"{{\"path\":\"a\",\"digest\":\"{Digest}\",\"size\":1}}\n{{\"path\":\"");
        body.Append('x', ManifestNdjsonReader.MaxLineBytes + 10);

        var error = await Assert.ThrowsAsync<PortalException>(() => Read(body.ToString()));

        Assert.Equal((ErrorCodes.ManifestMalformed, 2L), (error.Code, error.Extensions["line"]));
        Assert.Contains("longer than", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Entries_are_yielded_before_the_body_ends()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes($"{{\"path\":\"first\",\"digest\":\"{Digest}\",\"size\":1}}\n"));
        await using var entries = ManifestNdjsonReader.ReadAsync(pipe.Reader.AsStream()).GetAsyncEnumerator();

        var first = entries.MoveNextAsync().AsTask();
        Assert.True(await first.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("first", entries.Current.Path);

        var second = entries.MoveNextAsync().AsTask();
        Assert.False(second.IsCompleted);
        await pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes($"{{\"path\":\"second\",\"digest\":\"{Digest}\",\"size\":2}}\n"));
        await pipe.Writer.CompleteAsync();
        Assert.True(await second.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("second", entries.Current.Path);
        Assert.False(await entries.MoveNextAsync());
    }

    [Fact]
    public async Task Reader_leaves_the_stream_open()
    {
        var body = new MemoryStream(Encoding.UTF8.GetBytes($"{{\"path\":\"a\",\"digest\":\"{Digest}\",\"size\":1}}"));

        await ManifestNdjsonReader.ReadAsync(body).ToListAsync();

        Assert.True(body.CanRead);
    }

    [Fact]
    public async Task A_gzip_of_blank_lines_is_refused_for_its_ratio_before_it_is_inflated()
    {
        var bomb = GzipOfNewlines(256L * 1024 * 1024);
        // With the default limits the blank-line limit is hit first; here only the ratio guards.
        var limits = ManifestReadLimits.Default with { MaxBlankLines = int.MaxValue };
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<PortalException>(() => ManifestNdjsonReader.ReadAsync(new MemoryStream(bomb), limits).ToListAsync().AsTask());

        Assert.Equal((400, ErrorCodes.ManifestCompressionRatio), (error.Status, error.Code));
        Assert.Contains("100 times", error.Message, StringComparison.Ordinal);
        Assert.Equal(100, error.Extensions["limit"]);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"refusing the bomb took {watch.Elapsed}");
    }

    [Fact]
    public async Task Inflated_bytes_past_the_absolute_limit_are_413()
    {
        using var body = new MemoryStream();
        await ManifestNdjsonWriter.WriteAllAsync(body, ManifestVectors.Docs(20_000), gzip: true);
        var limits = ManifestReadLimits.Default with { MaxInflatedBytes = 100_000 };

        var error = await Assert.ThrowsAsync<PortalException>(() => ManifestNdjsonReader.ReadAsync(new MemoryStream(body.ToArray()), limits).ToListAsync().AsTask());

        Assert.Equal((413, ErrorCodes.ManifestTooLarge), (error.Status, error.Code));
        Assert.Contains("100,000 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_real_gzip_manifest_stays_within_the_default_ratio()
    {
        using var body = new MemoryStream();
        var entries = ManifestVectors.Docs(50_000).ToList();
        await ManifestNdjsonWriter.WriteAllAsync(body, entries, gzip: true);

        Assert.Equal(entries.Count, (await ManifestNdjsonReader.ReadAsync(new MemoryStream(body.ToArray())).ToListAsync()).Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Blank_lines_past_the_limit_are_refused_naming_it(bool gzip)
    {
        var text = $"{{\"path\":\"a\",\"digest\":\"{Digest}\",\"size\":1}}\n" + new string('\n', 10_001);
        var limits = ManifestReadLimits.Default with { MaxInflationRatio = 100_000 };
        var bytes = gzip ? Gzip(Encoding.UTF8.GetBytes(text)) : Encoding.UTF8.GetBytes(text);

        var error = await Assert.ThrowsAsync<PortalException>(() => ManifestNdjsonReader.ReadAsync(new MemoryStream(bytes), limits).ToListAsync().AsTask());

        Assert.Equal((400, ErrorCodes.ManifestMalformed), (error.Status, error.Code));
        Assert.Contains("more than 10,000 blank lines", error.Message, StringComparison.Ordinal);
        Assert.Equal(10_002L, error.Extensions["line"]);
        // Up to the limit they are still fine.
        Assert.Single(await ManifestNdjsonReader.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(text[..^1])), limits).ToListAsync());
    }

    /// <summary>A gzip of <paramref name="length"/> newlines: a 1 GiB one is about 1 MB.</summary>
    internal static byte[] GzipOfNewlines(long length)
    {
        var chunk = new byte[1024 * 1024];
        chunk.AsSpan().Fill((byte)'\n');
        using var body = new MemoryStream();
        using (var gzip = new GZipStream(body, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (long written = 0; written < length; written += chunk.Length)
                gzip.Write(chunk);
        }
        return body.ToArray();
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var body = new MemoryStream();
        using (var gzip = new GZipStream(body, CompressionLevel.Optimal, leaveOpen: true))
            gzip.Write(bytes);
        return body.ToArray();
    }

    private static byte[] ReadAll(Stream stream)
    {
        var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static async Task<List<ManifestEntry>> Read(string body) =>
        await ManifestNdjsonReader.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(body))).ToListAsync();
}
