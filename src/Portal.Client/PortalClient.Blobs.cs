using System.Buffers;
using System.Formats.Tar;
using System.Net;
using System.Net.Http.Headers;
using Portal.Client.Models;

namespace Portal.Client;

public sealed partial class PortalClient
{
    /// <summary>
    /// Uploads a file as the blob <paramref name="digest"/> (lower-case SHA-256 hex). A file of at least
    /// <see cref="PartUploadThreshold"/> bytes goes up in parts (<see cref="PutBlobInPartsAsync"/>: parallel, and a
    /// retry sends only what the portal lacks); a smaller one in one request, reopened for every attempt, so a retry
    /// after a dropped connection sends it again. The server stores a blob once.
    /// </summary>
    /// <param name="project">The project the blob is for: it then holds the blob, and its versions may name it. Without
    /// one the blob is recorded as the caller's own upload.</param>
    public async Task<BlobPutResponse> PutBlobAsync(string digest, string filePath, IProgress<long>? progress = null, string? project = null, CancellationToken ct = default)
    {
        if (new FileInfo(filePath).Length >= PartUploadThreshold)
        {
            try
            {
                return await PutBlobInPartsAsync(digest, filePath, progress, project, ct).ConfigureAwait(false);
            }
            catch (PortalApiException ex) when (ex.Status is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed && ex.Code is not (ErrorCodes.UploadSessionNotFound or ErrorCodes.ProjectNotFound))
            {
                // A portal without upload sessions: one request, as before.
            }
        }
        return await PutBlobAsync(digest, () => new FileStream(filePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan), progress, project, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Streams a blob from <paramref name="openContent"/>, called once per attempt (the stream is disposed after).
    /// <paramref name="progress"/> receives byte counts as they are sent (a retry reports its bytes again).
    /// </summary>
    public async Task<BlobPutResponse> PutBlobAsync(string digest, Func<Stream> openContent, IProgress<long>? progress = null, string? project = null, CancellationToken ct = default)
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
                return new HttpRequestMessage(HttpMethod.Put, $"api/v1/blobs/sha256/{Escape(digest)}{ProjectQuery(project)}") { Content = content };
            }, idempotent: true, ct).ConfigureAwait(false);
        }
        finally
        {
            foreach (var stream in streams)
                await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The digests not present for the caller (or, with <paramref name="project"/>, for that project) yet, asked in
    /// batches of <see cref="MissingBlobsRequest.MaxDigests"/>. Read-only on the server, so it is retried like a read.
    /// </summary>
    public async Task<IReadOnlyList<string>> FindMissingBlobsAsync(IEnumerable<string> digests, string? project = null, CancellationToken ct = default)
    {
        var missing = new List<string>();
        foreach (var batch in digests.Distinct(StringComparer.Ordinal).Chunk(MissingBlobsRequest.MaxDigests))
        {
            var answer = await PostAsync<MissingBlobsResponse>("api/v1/blobs/missing", new MissingBlobsRequest(batch, project), ct, idempotent: true).ConfigureAwait(false);
            missing.AddRange(answer.Missing);
        }

        return missing;
    }

    /// <summary>
    /// Uploads many (small) files in one request: a tar stream written while it is sent, each entry named by its
    /// digest. The server verifies every entry like a single upload. Retried as a whole (the files are reopened).
    /// </summary>
    /// <remarks>
    /// When every file's size is known (<see cref="BlobFile.Size"/>), the request declares its length: the portal then
    /// reads the body straight from the connection instead of decoding chunks (a second pipe and a copy of every byte).
    /// A file whose length no longer matches is reported as <see cref="BlobFileChangedException"/>, not retried.
    /// </remarks>
    /// <exception cref="BlobFileChangedException">A file's length differs from its <see cref="BlobFile.Size"/>.</exception>
    public Task<IReadOnlyList<BlobPutResponse>> PutBlobBatchAsync(IReadOnlyList<BlobFile> files, IProgress<long>? progress = null, string? project = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        return SendForAsync<IReadOnlyList<BlobPutResponse>>(() =>
        {
            var content = new TarBatchContent(files, progress);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
            return new HttpRequestMessage(HttpMethod.Post, $"api/v1/blobs/batch{ProjectQuery(project)}") { Content = content };
        }, idempotent: true, ct);
    }

    private static string ProjectQuery(string? project) => string.IsNullOrEmpty(project) ? "" : "?project=" + Uri.EscapeDataString(project);

    /// <summary>
    /// A tar stream of files, each entry named by the file's digest, produced as the request body is sent. Entries are
    /// plain ustar (a 512-byte header, the data padded to 512 bytes), so the stream's length follows from the sizes.
    /// </summary>
    private sealed class TarBatchContent(IReadOnlyList<BlobFile> files, IProgress<long>? progress) : HttpContent
    {
        private const int Block = 512;

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var writer = new TarWriter(stream, TarEntryFormat.Ustar, leaveOpen: true);
            await using (writer.ConfigureAwait(false))
            {
                foreach (var file in files)
                {
                    // Synchronous reads: an asynchronous file read on Unix is the same system call on a pool thread,
                    // and the hand-over per chunk cost the CLI more CPU than the read. ExactLengthStream copies in
                    // large chunks, so no FileStream buffer is needed.
                    var data = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
                    await using (data.ConfigureAwait(false))
                    {
                        var length = data.Length;
                        if (file.Size is { } size && size != length)
                            throw new BlobFileChangedException(file.Path, size, length);
                        var entry = new UstarTarEntry(TarEntryType.RegularFile, file.Digest) { DataStream = new ExactLengthStream(data, length, file.Path) };
                        await writer.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
                        progress?.Report(length);
                    }
                }
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            foreach (var file in files)
            {
                if (file.Size is not { } size)
                    return false;
                length += Block + (size + Block - 1) / Block * Block;
            }
            // The end of the archive: two empty blocks.
            length += 2 * Block;
            return true;
        }
    }

    /// <summary>
    /// Exactly <c>length</c> bytes of a file opened at its start: the tar entry's header was written with that size,
    /// so a file that shrank fails here, and bytes a growing file gained are not sent (the digest check on the portal
    /// rejects the entry if its content changed).
    /// </summary>
    private sealed class ExactLengthStream(Stream inner, long length, string path) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var wanted = (int)Math.Min(buffer.Length, length - _position);
            if (wanted == 0)
                return 0;
            return Advance(inner.Read(buffer[..wanted]));
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        /// <summary>Copies the rest in chunks of up to 1 MiB: one read and one socket write per chunk.</summary>
        public override async Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken)
        {
            var chunk = (int)Math.Clamp(length - _position, 1, CopyChunk);
            var buffer = ArrayPool<byte>.Shared.Rent(chunk);
            try
            {
                int read;
                while ((read = Read(buffer.AsSpan(0, chunk))) > 0)
                    await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private const int CopyChunk = 1 << 20;

        private int Advance(int read)
        {
            if (read == 0)
                throw new BlobFileChangedException(path, length, _position);
            _position += read;
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

/// <summary>A file changed between hashing and upload: its length is no longer the one hashed.</summary>
public sealed class BlobFileChangedException(string path, long expectedSize, long actualSize)
    : IOException($"{path} changed after it was hashed: it had {expectedSize:N0} bytes then and {actualSize:N0} now. Nothing of it was stored; run the command again.")
{
    public string Path { get; } = path;
    public long ExpectedSize { get; } = expectedSize;
    public long ActualSize { get; } = actualSize;
}

/// <summary>
/// A local file and the SHA-256 digest it was hashed to; <paramref name="Size"/> is its length when hashed, if known
/// (a batch of files that all have one is sent with a declared length, and a file whose length changed is refused).
/// </summary>
public sealed record BlobFile(string Digest, string Path, long? Size = null);
