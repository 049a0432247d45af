using System.Buffers;
using System.Formats.Tar;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts.Packs;
using Portal.Core.Storage;

namespace Portal.Core.Features.Artifacts;

/// <summary>
/// Many blobs in one response, for a client fetching a version of many small files: a tar stream of entries named by
/// digest (see <see cref="BlobBatchFormat"/>). A project's readers may fetch the blobs the project holds; anything else
/// is answered as not found, so the answer reveals nothing about other projects. Packed blobs are read pack by pack, in
/// pack order, so a batch costs a few sequential reads rather than one per blob. Every blob is verified before it is
/// sent; one that does not match its digest is sent as an error entry instead, and the rest of the batch is intact.
/// </summary>
public sealed class BlobDownloads(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access, PackAwareBlobStore store)
{
    /// <summary>Blobs up to this size are read whole and verified before their entry starts; larger ones stream (verified while sent).</summary>
    private const int WholeBlobBytes = 4 * 1024 * 1024;

    public sealed record Plan(ProjectAccessGrant Grant, IReadOnlyList<string> Digests);

    /// <summary>Checks access and the request before the response starts, so refusals are still problem details.</summary>
    public async Task<Plan> PrepareAsync(ClaimsPrincipal user, string slug, BlobBatchDownloadRequest request, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        var digests = request.Digests ?? [];
        if (digests.Count > BlobBatchDownloadRequest.MaxDigests)
        {
            throw PortalException.BadRequest(ErrorCodes.TooManyDigests,
                $"Ask for at most {BlobBatchDownloadRequest.MaxDigests:N0} blobs per request (got {digests.Count:N0}); split the list.");
        }
        foreach (var digest in digests)
            ContentDigest.Validate(digest);
        return new Plan(grant, digests.Distinct(StringComparer.Ordinal).ToList());
    }

    private sealed record Wanted(string Digest, long Size, string? Pack, long Offset, bool Corrupt);

    public async Task WriteAsync(Plan plan, Stream output, CancellationToken ct)
    {
        var wanted = new List<Wanted>(plan.Digests.Count);
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var projectId = plan.Grant.Project.Id;
            foreach (var chunk in plan.Digests.Chunk(BlobUploads.LookupChunk))
            {
                wanted.AddRange(await db.StoredBlobs.AsNoTracking()
                    .Where(b => chunk.Contains(b.Digest) && db.ProjectBlobs.Any(p => p.ProjectId == projectId && p.Digest == b.Digest))
                    .Select(b => new Wanted(b.Digest, b.Size, b.PackDigest, b.PackOffset ?? 0, b.Corrupt))
                    .ToListAsync(ct));
            }
        }

        var writer = new TarWriter(output, TarEntryFormat.Ustar, leaveOpen: true);
        await using (writer)
        {
            var found = wanted.Select(w => w.Digest).ToHashSet(StringComparer.Ordinal);
            foreach (var digest in plan.Digests.Where(d => !found.Contains(d)))
                await WriteErrorAsync(writer, digest, ErrorCodes.BlobNotFound, $"Blob sha256:{digest} is not held by project '{plan.Grant.Project.Slug}'.", ct);
            foreach (var blob in wanted.Where(w => w.Corrupt))
                await WriteErrorAsync(writer, blob.Digest, ErrorCodes.DigestMismatch, $"The stored bytes of sha256:{blob.Digest} are corrupt; an admin should restore them.", ct);

            var buffer = ArrayPool<byte>.Shared.Rent(WholeBlobBytes);
            try
            {
                foreach (var pack in wanted.Where(w => !w.Corrupt && w.Pack is not null).GroupBy(w => w.Pack!))
                    await WritePackedAsync(writer, pack.Key, pack.OrderBy(w => w.Offset).ToList(), buffer, ct);
                foreach (var blob in wanted.Where(w => !w.Corrupt && w.Pack is null))
                    await WriteLooseAsync(writer, blob, buffer, ct);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private async Task WritePackedAsync(TarWriter writer, string packDigest, List<Wanted> blobs, byte[] buffer, CancellationToken ct)
    {
        Stream pack;
        try
        {
            pack = await store.Objects.OpenReadAsync(packDigest, verify: false, ct);
        }
        catch (PortalException ex) when (ex.Code == ErrorCodes.BlobNotFound)
        {
            foreach (var blob in blobs)
                await WriteErrorAsync(writer, blob.Digest, ErrorCodes.BlobNotFound, $"Blob sha256:{blob.Digest} is missing from the store (its pack is gone).", ct);
            return;
        }

        await using (pack)
        {
            foreach (var blob in blobs)
            {
                var bytes = buffer.AsMemory(0, (int)blob.Size);
                if (pack.Position != blob.Offset)
                    pack.Position = blob.Offset;
                var read = await pack.ReadAtLeastAsync(bytes, bytes.Length, throwOnEndOfStream: false, ct);
                await WriteVerifiedAsync(writer, blob.Digest, bytes[..read], blob.Size, ct);
            }
        }
    }

    private async Task WriteLooseAsync(TarWriter writer, Wanted blob, byte[] buffer, CancellationToken ct)
    {
        Stream content;
        try
        {
            content = await store.Objects.OpenReadAsync(blob.Digest, verify: blob.Size > WholeBlobBytes, ct);
        }
        catch (PortalException ex) when (ex.Code == ErrorCodes.BlobNotFound)
        {
            await WriteErrorAsync(writer, blob.Digest, ErrorCodes.BlobNotFound, $"Blob sha256:{blob.Digest} is missing from the store.", ct);
            return;
        }

        await using (content)
        {
            if (blob.Size > WholeBlobBytes)
            {
                // Verified while it streams: a mismatch at its end aborts the response, and the client retries the file alone.
                await writer.WriteEntryAsync(new UstarTarEntry(TarEntryType.RegularFile, blob.Digest) { DataStream = new KnownLengthStream(content, blob.Size) }, ct);
                return;
            }
            var bytes = buffer.AsMemory(0, (int)blob.Size);
            var read = await content.ReadAtLeastAsync(bytes, bytes.Length, throwOnEndOfStream: false, ct);
            await WriteVerifiedAsync(writer, blob.Digest, bytes[..read], blob.Size, ct);
        }
    }

    private static async Task WriteVerifiedAsync(TarWriter writer, string digest, ReadOnlyMemory<byte> bytes, long size, CancellationToken ct)
    {
        if (bytes.Length != size || Convert.ToHexStringLower(SHA256.HashData(bytes.Span)) != digest)
        {
            await WriteErrorAsync(writer, digest, ErrorCodes.DigestMismatch, $"The stored bytes of sha256:{digest} no longer match their digest; an admin should restore them.", ct);
            return;
        }
        using var data = new ReadOnlyMemoryStream(bytes);
        await writer.WriteEntryAsync(new UstarTarEntry(TarEntryType.RegularFile, digest) { DataStream = data }, ct);
    }

    private static async Task WriteErrorAsync(TarWriter writer, string digest, string code, string message, CancellationToken ct)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new BlobBatchError(code, message));
        using var data = new MemoryStream(body, writable: false);
        await writer.WriteEntryAsync(new UstarTarEntry(TarEntryType.RegularFile, BlobBatchFormat.ErrorPrefix + digest) { DataStream = data }, ct);
    }

    /// <summary>
    /// A forward-only stream that reports its length and claims to seek (to where it is), because a tar writer
    /// writing to a response, which cannot seek, takes only entries whose data stream can.
    /// </summary>
    private sealed class KnownLengthStream(Stream inner, long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;

        public override long Position
        {
            get => _position;
            set
            {
                if (value != _position)
                    throw new NotSupportedException("This stream reads forward only.");
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = inner.Read(buffer);
            _position += read;
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            _position += read;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override long Seek(long offset, SeekOrigin origin)
        {
            var target = origin switch { SeekOrigin.Begin => offset, SeekOrigin.Current => _position + offset, _ => length + offset };
            Position = target;
            return _position;
        }

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A read-only stream over memory the caller keeps alive (no copy).</summary>
    private sealed class ReadOnlyMemoryStream(ReadOnlyMemory<byte> memory) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => memory.Length;

        public override long Position
        {
            get => _position;
            set => _position = (int)Math.Clamp(value, 0, memory.Length);
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(buffer.Length, memory.Length - _position);
            memory.Span.Slice(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override long Seek(long offset, SeekOrigin origin)
        {
            Position = origin switch { SeekOrigin.Begin => offset, SeekOrigin.Current => _position + offset, _ => memory.Length + offset };
            return _position;
        }

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
