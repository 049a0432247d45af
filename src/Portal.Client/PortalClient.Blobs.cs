using System.Net.Http.Headers;
using Portal.Client.Models;

namespace Portal.Client;

public sealed partial class PortalClient
{
    /// <summary>
    /// Streams a file as the blob <paramref name="digest"/> (lower-case SHA-256 hex). The file is reopened for every
    /// attempt, so a retry after a dropped connection sends the whole blob again; the server stores it once.
    /// </summary>
    public Task<BlobPutResponse> PutBlobAsync(string digest, string filePath, IProgress<long>? progress = null, CancellationToken ct = default) =>
        PutBlobAsync(digest, () => new FileStream(filePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan), progress, ct);

    /// <summary>
    /// Streams a blob from <paramref name="openContent"/>, called once per attempt (the stream is disposed after).
    /// <paramref name="progress"/> receives byte counts as they are sent (a retry reports its bytes again).
    /// </summary>
    public async Task<BlobPutResponse> PutBlobAsync(string digest, Func<Stream> openContent, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(openContent);
        var streams = new List<Stream>();
        try
        {
            return await SendForAsync<BlobPutResponse>(() =>
            {
                var stream = openContent();
                streams.Add(stream);
                var content = new StreamContent(progress is null ? stream : new ProgressReportingStream(stream, progress), 1 << 16);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                if (stream.CanSeek)
                    content.Headers.ContentLength = stream.Length - stream.Position;
                return new HttpRequestMessage(HttpMethod.Put, $"api/v1/blobs/sha256/{Escape(digest)}") { Content = content };
            }, idempotent: true, ct).ConfigureAwait(false);
        }
        finally
        {
            foreach (var stream in streams)
                await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The digests the portal does not hold yet, asked in batches of <see cref="MissingBlobsRequest.MaxDigests"/>.
    /// Read-only on the server, so it is retried like a read.
    /// </summary>
    public async Task<IReadOnlyList<string>> FindMissingBlobsAsync(IEnumerable<string> digests, CancellationToken ct = default)
    {
        var missing = new List<string>();
        foreach (var batch in digests.Distinct(StringComparer.Ordinal).Chunk(MissingBlobsRequest.MaxDigests))
        {
            var answer = await PostAsync<MissingBlobsResponse>("api/v1/blobs/missing", new MissingBlobsRequest(batch), ct, idempotent: true).ConfigureAwait(false);
            missing.AddRange(answer.Missing);
        }

        return missing;
    }
}
