using System.Text;
using System.Text.Json;
using Portal.Client;
using Portal.Core.Features.Artifacts.Manifests;
using Xunit;

namespace Portal.Core.Tests.Features.Artifacts.Manifests;

public class VersionRequestJsonReaderTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly string Digest = ManifestVectors.Sha256Hex("x");

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(65_536)]
    public async Task Entries_stream_and_fields_before_and_after_them_are_bound_whatever_the_chunking(int chunk)
    {
        var entries = ManifestVectors.Docs(3000);
        var body = new StringBuilder("""  {"type":"dataset","metadata":{"rows":[1,2,{"x":"]}"}]},"entries":[""");
        body.AppendJoin(",", entries.Select((e, i) => i == 5
            ? $$"""{"path":"{{e.Path}}","digest":"{{e.Digest}}","size":{{e.Size}},"extra":{"k":[1,2]},"unknown":"ignored"}"""
            : $$"""{"path":"{{e.Path}}","digest":"{{e.Digest}}","size":{{e.Size}}}"""));
        body.Append("""],"Description":"after \"entries\"","aliases":["staging"],"base":null}   """);
        var reader = new VersionRequestJsonReader(Json);

        var read = await reader.ReadEntriesAsync(new ChunkedStream(Encoding.UTF8.GetBytes(body.ToString()), chunk)).ToListAsync();
        var request = reader.Request();

        Assert.Equal(entries.Select(e => e.Path), read.Select(e => e.Path));
        Assert.Equal("{\"k\":[1,2]}", read[5].ExtraJson);
        Assert.Equal(("dataset", "after \"entries\"", "staging"), (request.Type, request.Description, request.Aliases!.Single()));
        Assert.Equal("{\"rows\":[1,2,{\"x\":\"]}\"}]}", request.Metadata!.Value.GetRawText());
        Assert.Null(request.Entries);
        Assert.Null(request.Base);
    }

    [Fact]
    public async Task A_patch_body_without_entries_binds_its_fields()
    {
        var body = $$"""{"type":null,"entries":null,"base":"v0","upserts":[{"path":"a","digest":"{{Digest}}","size":1}],"deletes":["b"]}""";
        var reader = new VersionRequestJsonReader(Json);

        Assert.Empty(await reader.ReadEntriesAsync(new MemoryStream(Encoding.UTF8.GetBytes(body))).ToListAsync());
        var request = reader.Request();

        Assert.Equal(("v0", "a", "b"), (request.Base, request.Upserts!.Single().Path, request.Deletes!.Single()));
    }

    [Theory]
    [InlineData("", ErrorCodes.ValidationFailed)]
    [InlineData("[]", ErrorCodes.ValidationFailed)]
    [InlineData("{\"entries\":[{\"path\":\"a\"", ErrorCodes.ValidationFailed)]
    [InlineData("{\"entries\":[]} {}", ErrorCodes.ValidationFailed)]
    [InlineData("{\"entries\":\"a\"}", ErrorCodes.ValidationFailed)]
    [InlineData("{\"entries\":[{\"size\":1}]}", ErrorCodes.ManifestMalformed)]
    [InlineData("{\"entries\":[{\"path\":\"a\",\"digest\":\"d\",\"size\":\"big\"}]}", ErrorCodes.ValidationFailed)]
    public async Task Bad_bodies_are_400_with_a_code(string body, string code)
    {
        var reader = new VersionRequestJsonReader(Json);

        var error = await Assert.ThrowsAsync<PortalException>(async () =>
        {
            await reader.ReadEntriesAsync(new ChunkedStream(Encoding.UTF8.GetBytes(body), 3)).ToListAsync();
            reader.Request();
        });

        Assert.Equal((400, code), (error.Status, error.Code));
    }

    /// <summary>Returns at most <c>chunk</c> bytes per read, as a slow network does.</summary>
    private sealed class ChunkedStream(byte[] bytes, int chunk) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, chunk)]);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            base.ReadAsync(buffer, offset, Math.Min(count, chunk), cancellationToken);
    }
}
