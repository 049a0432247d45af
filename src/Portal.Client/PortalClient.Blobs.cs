using System.Formats.Tar;
using System.Net;
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

    /// <summary>
    /// Uploads many (small) files in one request: a tar stream written while it is sent, each entry named by its
    /// digest. The server verifies every entry like a single upload. Retried as a whole (the files are reopened).
    /// </summary>
    public Task<IReadOnlyList<BlobPutResponse>> PutBlobBatchAsync(IReadOnlyList<BlobFile> files, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        return SendForAsync<IReadOnlyList<BlobPutResponse>>(() =>
        {
            var content = new TarBatchContent(files, progress);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
            return new HttpRequestMessage(HttpMethod.Post, "api/v1/blobs/batch") { Content = content };
        }, idempotent: true, ct);
    }

    /// <summary>A tar stream of files, each entry named by the file's digest, produced as the request body is sent.</summary>
    private sealed class TarBatchContent(IReadOnlyList<BlobFile> files, IProgress<long>? progress) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true);
            await using (writer.ConfigureAwait(false))
            {
                foreach (var file in files)
                {
                    var data = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
                    await using (data.ConfigureAwait(false))
                    {
                        var entry = new PaxTarEntry(TarEntryType.RegularFile, file.Digest) { DataStream = data };
                        await writer.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
                        progress?.Report(data.Length);
                    }
                }
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}

/// <summary>A local file and the SHA-256 digest it was hashed to.</summary>
public sealed record BlobFile(string Digest, string Path);
