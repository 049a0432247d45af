using System.Formats.Tar;
using System.Net.Http.Json;
using System.Text.Json;
using Portal.Client.Models;

namespace Portal.Client;

public sealed partial class PortalClient
{
    /// <summary>
    /// Fetches many blobs the project holds in one request (at most <see cref="BlobBatchDownloadRequest.MaxDigests"/>)
    /// and hands each to <paramref name="onBlob"/> as it arrives: its digest and a stream of exactly its bytes, which the
    /// callback reads (and should verify) before the next one comes. Returns the blobs the portal could not send, with
    /// why; a blob the answer left out entirely is reported as <c>blob_not_found</c>. Not retried: a caller that lost the
    /// connection asks again for what it did not get.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, BlobBatchError>> DownloadBlobBatchAsync(
        string project, IReadOnlyList<string> digests, Func<string, Stream, CancellationToken, Task> onBlob, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(digests);
        ArgumentNullException.ThrowIfNull(onBlob);
        var errors = new Dictionary<string, BlobBatchError>(StringComparer.Ordinal);
        var pending = new HashSet<string>(digests, StringComparer.Ordinal);
        using var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Post, $"api/v1/projects/{Escape(project)}/blobs/download")
            {
                Content = JsonContent.Create(new BlobBatchDownloadRequest(digests), options: Json),
            },
            idempotent: false, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            var reader = new TarReader(body, leaveOpen: true);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } entry)
                {
                    if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                        continue;
                    var data = entry.DataStream ?? Stream.Null;
                    if (entry.Name.StartsWith(BlobBatchFormat.ErrorPrefix, StringComparison.Ordinal))
                    {
                        var digest = entry.Name[BlobBatchFormat.ErrorPrefix.Length..];
                        var error = await JsonSerializer.DeserializeAsync<BlobBatchError>(data, Json, ct).ConfigureAwait(false);
                        if (pending.Remove(digest))
                            errors[digest] = error ?? new BlobBatchError(ErrorCodes.InternalError, "The portal sent an empty error.");
                        continue;
                    }
                    if (!pending.Remove(entry.Name))
                        continue;
                    await onBlob(entry.Name, data, ct).ConfigureAwait(false);
                }
            }
        }

        foreach (var digest in pending)
            errors[digest] = new BlobBatchError(ErrorCodes.BlobNotFound, $"The portal's answer left out blob sha256:{digest}.");
        return errors;
    }
}
