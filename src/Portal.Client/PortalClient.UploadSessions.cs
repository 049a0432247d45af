using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using Portal.Client.Models;

namespace Portal.Client;

public sealed partial class PortalClient
{
    /// <summary>Files at least this large go up in parts (<see cref="PutBlobInPartsAsync"/>): parallel, resumable.</summary>
    public long PartUploadThreshold { get; init; } = 128L * 1024 * 1024;

    /// <summary>How many parts of one large file are sent at once.</summary>
    public int PartParallelism { get; init; } = 4;

    /// <summary>
    /// Opens an upload of one large blob in parts, or returns the caller's open session for the same blob with the
    /// parts the portal holds (resume). Asking again is harmless, so it is retried like a read.
    /// </summary>
    public Task<UploadSessionResponse> StartUploadSessionAsync(StartUploadSessionRequest request, CancellationToken ct = default) =>
        PostAsync<UploadSessionResponse>("api/v1/blobs/uploads", request, ct, idempotent: true);

    public Task<UploadSessionResponse> GetUploadSessionAsync(Guid id, CancellationToken ct = default) =>
        GetAsync<UploadSessionResponse>($"api/v1/blobs/uploads/{id}", ct);

    /// <summary>
    /// Sends part <paramref name="number"/> of a session: <paramref name="length"/> bytes of <paramref name="filePath"/>
    /// from <paramref name="offset"/>, whose SHA-256 is <paramref name="sha256"/>. Replacing a part is harmless, so
    /// it is retried.
    /// </summary>
    public Task<UploadPartResponse> PutUploadPartAsync(Guid id, int number, string sha256, string filePath, long offset, long length, IProgress<long>? progress = null, CancellationToken ct = default) =>
        SendForAsync<UploadPartResponse>(() =>
        {
            var content = new FileRangeContent(filePath, offset, length, progress);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            var request = new HttpRequestMessage(HttpMethod.Put, $"api/v1/blobs/uploads/{id}/parts/{number}") { Content = content };
            request.Headers.Add(UploadSessionHeaders.PartSha256, sha256);
            return request;
        }, idempotent: true, ct);

    /// <summary>Puts the parts together; the blob is stored only when the whole hashes to the session's digest.</summary>
    public Task<BlobPutResponse> CompleteUploadSessionAsync(Guid id, CancellationToken ct = default) =>
        PostAsync<BlobPutResponse>($"api/v1/blobs/uploads/{id}/complete", null, ct);

    public Task AbortUploadSessionAsync(Guid id, CancellationToken ct = default) =>
        SendNoContentAsync(() => new HttpRequestMessage(HttpMethod.Delete, $"api/v1/blobs/uploads/{id}"), idempotent: true, ct);

    /// <summary>
    /// Uploads a large file as the blob <paramref name="digest"/> in parts, <see cref="PartParallelism"/> at a time,
    /// each with its own SHA-256. After an interruption the same call sends only the parts the portal lacks. A part
    /// refused for its digest is hashed and sent again once (the file may have been read while it changed).
    /// </summary>
    /// <param name="progress">Bytes as they are sent; parts the portal held already are reported at the start.</param>
    public async Task<BlobPutResponse> PutBlobInPartsAsync(string digest, string filePath, IProgress<long>? progress = null, string? project = null, CancellationToken ct = default)
    {
        var size = new FileInfo(filePath).Length;
        var session = await StartUploadSessionAsync(new StartUploadSessionRequest(digest, size, project), ct).ConfigureAwait(false);
        if (session.AlreadyStored || session.Id is not { } id)
        {
            progress?.Report(size);
            return new BlobPutResponse(digest, size, AlreadyStored: true);
        }

        progress?.Report(session.Parts.Sum(p => p.Size));
        var held = session.Parts.Select(p => p.Number).ToHashSet();
        await SendPartsAsync(id, session, filePath, Enumerable.Range(1, session.PartCount).Where(n => !held.Contains(n)), progress, ct).ConfigureAwait(false);
        try
        {
            return await CompleteUploadSessionAsync(id, ct).ConfigureAwait(false);
        }
        catch (PortalApiException ex) when (ex.Code == ErrorCodes.PartsMissing)
        {
            // A part the portal had to forget (it was cut short by a dropped connection): send what it lacks, once.
            var now = await GetUploadSessionAsync(id, ct).ConfigureAwait(false);
            var have = now.Parts.Select(p => p.Number).ToHashSet();
            await SendPartsAsync(id, now, filePath, Enumerable.Range(1, now.PartCount).Where(n => !have.Contains(n)), progress, ct).ConfigureAwait(false);
            return await CompleteUploadSessionAsync(id, ct).ConfigureAwait(false);
        }
    }

    private Task SendPartsAsync(Guid id, UploadSessionResponse session, string filePath, IEnumerable<int> numbers, IProgress<long>? progress, CancellationToken ct)
    {
        var direct = (session.PartUrls ?? []).ToDictionary(p => p.Number, p => p.Url);
        return Parallel.ForEachAsync(numbers, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, PartParallelism), CancellationToken = ct }, async (number, token) =>
        {
            var offset = (number - 1) * session.PartSize;
            var length = Math.Min(session.PartSize, session.Size - offset);
            if (direct.TryGetValue(number, out var url))
            {
                await PutPartDirectAsync(url, filePath, offset, length, progress, token).ConfigureAwait(false);
                return;
            }
            for (var attempt = 0; ; attempt++)
            {
                var sha256 = await HashRangeAsync(filePath, offset, length, token).ConfigureAwait(false);
                try
                {
                    await PutUploadPartAsync(id, number, sha256, filePath, offset, length, progress, token).ConfigureAwait(false);
                    return;
                }
                catch (PortalApiException ex) when (ex.Code == ErrorCodes.PartDigestMismatch && attempt == 0)
                {
                    // Hashed again and sent again below; a second refusal means the file really changes.
                }
            }
        });
    }

    /// <summary>
    /// Plain HTTP for part addresses the object store signed: never the portal's token, and retried on connection
    /// failures and 5xx answers like the portal's own calls.
    /// </summary>
    private static readonly HttpClient DirectHttp = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private async Task PutPartDirectAsync(Uri url, string filePath, long offset, long length, IProgress<long>? progress, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await Retries.ExecuteAsync(async token =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = new FileRangeContent(filePath, offset, length, progress) };
                // Azure's Put Block asks for its protocol version; S3 ignores the header.
                request.Headers.TryAddWithoutValidation("x-ms-version", "2023-11-03");
                return await DirectHttp.SendAsync(request, HttpCompletionOption.ResponseContentRead, token).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (ex.InnerException is BlobFileChangedException changed)
        {
            throw changed;
        }
        catch (HttpRequestException ex)
        {
            throw new PortalApiException(0, PortalApiException.ConnectionFailed, $"Cannot reach the object store at {url.GetLeftPart(UriPartial.Authority)}: {ex.Message}");
        }

        using (response)
        {
            if (response.IsSuccessStatusCode)
                return;
            var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            throw new PortalApiException(response.StatusCode, $"http_{(int)response.StatusCode}",
                $"The object store refused a part ({(int)response.StatusCode} {response.ReasonPhrase}): {body[..Math.Min(body.Length, 300)]}");
        }
    }

    private static async Task<string> HashRangeAsync(string path, long offset, long length, CancellationToken ct)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(FileRangeContent.Chunk);
        try
        {
            var end = offset + length;
            while (offset < end)
            {
                var read = await RandomAccess.ReadAsync(file, buffer.AsMemory(0, (int)Math.Min(FileRangeContent.Chunk, end - offset)), offset, ct).ConfigureAwait(false);
                if (read == 0)
                    throw new BlobFileChangedException(path, end, offset);
                hash.AppendData(buffer, 0, read);
                offset += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>A range of a file as a request body of known length, read in 1 MiB chunks as it is sent.</summary>
    private sealed class FileRangeContent(string path, long offset, long length, IProgress<long>? progress) : HttpContent
    {
        internal const int Chunk = 1 << 20;

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
            var buffer = ArrayPool<byte>.Shared.Rent(Chunk);
            try
            {
                var position = offset;
                var end = offset + length;
                while (position < end)
                {
                    var read = RandomAccess.Read(file, buffer.AsSpan(0, (int)Math.Min(Chunk, end - position)), position);
                    if (read == 0)
                        throw new BlobFileChangedException(path, end - offset, position - offset);
                    await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    position += read;
                    progress?.Report(read);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        protected override bool TryComputeLength(out long length1)
        {
            length1 = length;
            return true;
        }
    }
}
