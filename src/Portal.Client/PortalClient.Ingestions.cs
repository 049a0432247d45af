using System.Net.Http.Headers;
using Portal.Client.Models;

namespace Portal.Client;

public sealed partial class PortalClient
{
    /// <summary>A new version of files the server reads itself (file:// under its allowed roots, https://); poll <see cref="GetIngestionAsync"/>.</summary>
    public Task<IngestionResponse> CreateReferenceIngestionAsync(string slug, CreateReferenceIngestionRequest request, CancellationToken ct = default) =>
        PostAsync<IngestionResponse>($"{ProjectPath(slug)}/ingestions", request, ct);

    /// <summary>Starts an upload; send its files with <see cref="PutIngestionFileAsync"/>, then <see cref="StartIngestionAsync"/>.</summary>
    public Task<IngestionResponse> CreateUploadIngestionAsync(string slug, CreateUploadIngestionRequest request, CancellationToken ct = default) =>
        PostAsync<IngestionResponse>($"{ProjectPath(slug)}/ingestions/uploads", request, ct);

    /// <summary>Streams one file of an upload as <paramref name="path"/> in the version. Not retried: a path is staged once.</summary>
    public Task<IngestionFileResponse> PutIngestionFileAsync(string slug, Guid ingestionId, string path, Stream content, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(content);
        var escaped = string.Join('/', path.Split('/').Select(Escape));
        return SendForAsync<IngestionFileResponse>(() =>
        {
            var body = new StreamContent(content, 1 << 16);
            body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            if (content.CanSeek)
                body.Headers.ContentLength = content.Length - content.Position;
            return new HttpRequestMessage(HttpMethod.Put, $"{ProjectPath(slug)}/ingestions/{ingestionId}/files/{escaped}") { Content = body };
        }, idempotent: false, ct);
    }

    /// <summary>Hands the staged files to the job. Safe to repeat.</summary>
    public Task<IngestionResponse> StartIngestionAsync(string slug, Guid ingestionId, CancellationToken ct = default) =>
        PostAsync<IngestionResponse>($"{ProjectPath(slug)}/ingestions/{ingestionId}/start", null, ct, idempotent: true);

    public Task<IngestionResponse> GetIngestionAsync(string slug, Guid ingestionId, CancellationToken ct = default) =>
        GetAsync<IngestionResponse>($"{ProjectPath(slug)}/ingestions/{ingestionId}", ct);

    public Task<IReadOnlyList<IngestionFileResponse>> ListIngestionFilesAsync(string slug, Guid ingestionId, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<IngestionFileResponse>>($"{ProjectPath(slug)}/ingestions/{ingestionId}/files", ct);
}
