using System.IO.Compression;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Portal.Web.Tests.Features.Artifacts;

/// <summary>Drives the upload protocol the way a client does: create a version, upload what is missing, commit.</summary>
internal sealed class ArtifactUploads(HttpClient client, string slug)
{
    public static (ManifestEntryModel Entry, byte[] Bytes) File(string path, string? content = null)
    {
        var bytes = Encoding.UTF8.GetBytes(content ?? path + Guid.NewGuid());
        return (new ManifestEntryModel(path, BlobsApiTests.DigestOf(bytes), bytes.Length), bytes);
    }

    /// <summary>An entry whose bytes live elsewhere, so no blob upload is needed.</summary>
    public static ManifestEntryModel Reference(string path, string? tag = null) =>
        new(path, BlobsApiTests.DigestOf(Encoding.UTF8.GetBytes(path + tag)), path.Length, "s3://bucket/" + path);

    public string VersionsUrl(string artifact) => $"/api/v1/projects/{slug}/artifacts/{artifact}/versions";

    public Task<HttpResponseMessage> CreateAsync(string artifact, IEnumerable<ManifestEntryModel> entries, string type = "dataset", IReadOnlyList<string>? aliases = null) =>
        client.PostJsonAsync(VersionsUrl(artifact), new CreateVersionRequest(type, "made by tests", JsonDocument.Parse("{\"rows\":3}").RootElement, aliases, Entries: entries.ToList()));

    public async Task<HttpResponseMessage> CreateNdjsonAsync(string artifact, IEnumerable<ManifestEntryModel> entries, string query = "type=dataset", bool gzip = false)
    {
        var text = new StringBuilder();
        foreach (var entry in entries)
            text.Append(JsonSerializer.Serialize(entry, HttpAssertions.Json)).Append('\n');
        return await PostNdjsonAsync(artifact, text.ToString(), query, gzip);
    }

    public async Task<HttpResponseMessage> PostNdjsonAsync(string artifact, string ndjson, string query = "type=dataset", bool gzip = false)
    {
        var bytes = Encoding.UTF8.GetBytes(ndjson);
        if (gzip)
        {
            using var buffer = new MemoryStream();
            await using (var zip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
                await zip.WriteAsync(bytes);
            bytes = buffer.ToArray();
        }
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        return await client.PostAsync($"{VersionsUrl(artifact)}?{query}", content);
    }

    public async Task UploadAsync(IEnumerable<byte[]> blobs)
    {
        foreach (var bytes in blobs)
            (await client.PutAsync($"/api/v1/blobs/sha256/{BlobsApiTests.DigestOf(bytes)}", BlobsApiTests.Octets(bytes))).EnsureSuccessStatusCode();
    }

    public Task<HttpResponseMessage> CommitAsync(string artifact, Guid versionId) =>
        client.PostAsync($"{VersionsUrl(artifact)}/{versionId}/commit", null);

    /// <summary>Create, upload everything missing, commit; returns the committed (or unchanged) version.</summary>
    public async Task<CommitVersionResponse> PublishAsync(string artifact, IReadOnlyList<(ManifestEntryModel Entry, byte[] Bytes)> files, IEnumerable<ManifestEntryModel>? references = null)
    {
        var created = await (await CreateAsync(artifact, files.Select(f => f.Entry).Concat(references ?? [])))
            .ReadOkAsync<CreateVersionResponse>(HttpStatusCode.Created);
        await UploadAsync(files.Where(f => created.MissingDigests.Contains(f.Entry.Digest)).Select(f => f.Bytes));
        return await (await CommitAsync(artifact, created.VersionId!.Value)).ReadOkAsync<CommitVersionResponse>();
    }

    public async Task<PagedResponse<ArtifactVersionResponse>> ListVersionsAsync(string artifact, string query = "") =>
        await (await client.GetAsync($"{VersionsUrl(artifact)}{query}")).ReadOkAsync<PagedResponse<ArtifactVersionResponse>>();

    public static string Digest(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
