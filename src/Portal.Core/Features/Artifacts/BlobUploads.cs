using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts.Packs;
using Portal.Core.Storage;

namespace Portal.Core.Features.Artifacts;

/// <summary>
/// Blob upload and the "which of these do you still need?" question. The store keeps each blob once for everyone, but
/// a digest is present for a project only when the project holds it (<see cref="ProjectBlob"/>): an upload names the
/// project it is for (or, without one, is recorded as the uploader's, <see cref="UserBlob"/>). Uploading bytes the
/// store already has proves possession: they are hashed like any upload and nothing new is stored.
/// </summary>
public sealed class BlobUploads(IDbContextFactory<PortalDbContext> dbFactory, IBlobStore store, ProjectAccess access, IOptions<BlobStoreOptions> options, TimeProvider clock)
{
    // SQL Server allows 2,100 parameters per command and EF Core 10 sends a Contains list as one parameter per item.
    internal const int LookupChunk = 1000;

    public long MaxBlobBytes => options.Value.MaxBlobBytes;

    /// <summary>
    /// Streams <paramref name="content"/> into the store under <paramref name="digest"/> and records it, as held by
    /// <paramref name="projectSlug"/> (Contributor there) or, without one, by the uploader.
    /// </summary>
    /// <exception cref="PortalException">400 <c>digest_invalid</c>, 422 <c>digest_mismatch</c>, 413 <c>blob_too_large</c>,
    /// 403 when the user may not upload, 404 for a project the user is not a member of.</exception>
    public async Task<BlobPutResponse> PutAsync(ClaimsPrincipal user, string digest, Stream content, long? declaredLength, string? projectSlug = null, CancellationToken ct = default)
    {
        ContentDigest.Validate(digest);
        var holder = await RequireUploaderAsync(user, projectSlug, ct);
        var max = MaxBlobBytes;
        if (declaredLength > max)
            throw TooLarge(max);

        await using var hashing = new HashingReadStream(content);
        var result = await store.PutAsync(digest, hashing, max, ct);
        if (result.AlreadyExisted)
            await ProvePossessionAsync(hashing, result, ct);
        // Recorded after the bytes are in place: a StoredBlob row always means the store holds verified bytes.
        // An existing blob without a row (row lost, or stored by a job) gets its row now.
        await RecordAllAsync([result], holder, ct);
        return new BlobPutResponse(result.Digest, result.Size, result.AlreadyExisted);
    }

    /// <summary>
    /// Many small blobs in one request: a tar stream whose regular-file entries are named by their SHA-256 digest
    /// (optionally under <c>sha256/</c>). Each entry is verified like a single upload; the first bad entry stops the
    /// batch with its name in the error, and the entries before it stay stored (they were verified). Entries up to
    /// <see cref="PackWriter.MaxPackedBlobBytes"/> are stored in packs, larger ones as objects of their own.
    /// </summary>
    public async Task<IReadOnlyList<BlobPutResponse>> PutBatchAsync(ClaimsPrincipal user, Stream tar, string? projectSlug = null, CancellationToken ct = default)
    {
        var holder = await RequireUploaderAsync(user, projectSlug, ct);
        var loose = new List<BlobPutResult>();
        using var packs = new PackWriter(store, dbFactory, clock);
        var entries = 0;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(PackWriter.MaxPackedBlobBytes);
        try
        {
            await using var reader = new System.Formats.Tar.TarReader(tar, leaveOpen: true);
            while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
            {
                if (entry.EntryType is not (System.Formats.Tar.TarEntryType.RegularFile or System.Formats.Tar.TarEntryType.V7RegularFile))
                    continue;
                if (entries++ == MaxBatchEntries)
                    throw PortalException.BadRequest(ErrorCodes.TooManyDigests, $"A batch holds at most {MaxBatchEntries:N0} blobs; send the rest in another batch.");
                var name = entry.Name.StartsWith("sha256/", StringComparison.Ordinal) ? entry.Name["sha256/".Length..] : entry.Name;
                if (!ContentDigest.IsValid(name))
                {
                    throw PortalException.BadRequest(ErrorCodes.DigestInvalid,
                        $"Batch entry '{entry.Name}' is not named by a SHA-256 digest (64 lower-case hex characters).");
                }

                if (entry.Length <= PackWriter.MaxPackedBlobBytes)
                {
                    var length = (int)entry.Length;
                    if (entry.DataStream is { } data)
                        await data.ReadExactlyAsync(buffer.AsMemory(0, length), ct);
                    var bytes = buffer.AsMemory(0, length);
                    var actual = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes.Span));
                    if (actual != name)
                    {
                        throw new PortalException(422, ErrorCodes.DigestMismatch,
                            $"Batch entry '{entry.Name}' does not match its digest: its {length:N0} bytes hash to sha256:{actual}. Nothing of it was stored; the entries before it were.",
                            new Dictionary<string, object?> { ["expected"] = name, ["actual"] = actual, ["size"] = length });
                    }
                    await packs.AddAsync(name, bytes, ct);
                    continue;
                }

                await using var hashing = new HashingReadStream(entry.DataStream ?? Stream.Null);
                var result = await store.PutAsync(name, hashing, MaxBlobBytes, ct);
                if (result.AlreadyExisted)
                    await ProvePossessionAsync(hashing, result, ct);
                loose.Add(result);
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw PortalException.BadRequest(ErrorCodes.BatchMalformed, $"The batch is not a valid tar stream: {ex.Message}");
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            // Whatever was verified is stored and recorded, even when a later entry failed.
            await packs.FlushAsync(CancellationToken.None);
            await RecordAllAsync([.. loose, .. packs.Results], holder, CancellationToken.None);
        }

        // After the last pack was flushed above.
        return [.. packs.Results.Concat(loose).Select(r => new BlobPutResponse(r.Digest, r.Size, r.AlreadyExisted))];
    }

    public const int MaxBatchEntries = 10_000;

    /// <summary>
    /// The digests among <paramref name="request"/> that are not present for the caller: stored, intact and held by
    /// the request's project, or (without one) by a project the caller can read or by the caller's own uploads.
    /// Nothing about blobs outside that is revealed.
    /// </summary>
    public async Task<MissingBlobsResponse> MissingAsync(ClaimsPrincipal user, MissingBlobsRequest request, CancellationToken ct = default)
    {
        var holder = await RequireUploaderAsync(user, request.Project, ct);
        var digests = request.Digests ?? [];
        if (digests.Count > MissingBlobsRequest.MaxDigests)
        {
            throw PortalException.BadRequest(
                ErrorCodes.TooManyDigests,
                $"Ask about at most {MissingBlobsRequest.MaxDigests:N0} digests per request (got {digests.Count:N0}); split the list.");
        }
        foreach (var digest in digests)
            ContentDigest.Validate(digest);

        var distinct = digests.Distinct(StringComparer.Ordinal).ToList();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var present = holder.ProjectId is { } projectId
            ? BlobPossession.PresentFor(db, projectId, [holder.UserId])
            : BlobPossession.PresentForUser(db, holder.UserId, await db.Users.Where(u => u.Id == holder.UserId).Select(u => u.IsSiteAdmin).SingleAsync(ct));
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in distinct.Chunk(LookupChunk))
            found.UnionWith(await present.AsNoTracking().Where(b => chunk.Contains(b.Digest)).Select(b => b.Digest).ToListAsync(ct));
        return new MissingBlobsResponse(distinct.Where(d => !found.Contains(d)).ToList());
    }

    /// <summary>
    /// The store already held the blob and read none (or not all) of the upload: the bytes are hashed all the same,
    /// because an upload is what proves the uploader has them. At most one byte more than the stored size is read.
    /// </summary>
    private static async Task ProvePossessionAsync(HashingReadStream upload, BlobPutResult stored, CancellationToken ct)
    {
        // A store that read the upload (it lost a race to store the same bytes) verified what it read.
        if (upload.BytesRead > 0)
            return;
        upload.StartHashing();
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            while (upload.BytesRead <= stored.Size && await upload.ReadAsync(buffer, ct) > 0)
            {
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }

        var actual = upload.BytesRead <= stored.Size ? upload.Digest() : null;
        if (!string.Equals(actual, stored.Digest, StringComparison.Ordinal))
        {
            throw new PortalException(422, ErrorCodes.DigestMismatch,
                $"Content does not match its digest: expected sha256:{stored.Digest} ({stored.Size:N0} bytes) but the bytes received "
                + (actual is null ? "are longer" : $"hash to sha256:{actual} ({upload.BytesRead:N0} bytes)") + ". Send the file's own bytes; nothing was recorded.",
                new Dictionary<string, object?> { ["expected"] = stored.Digest, ["actual"] = actual });
        }
    }

    /// <summary>
    /// Counts the bytes read through it and, once <see cref="StartHashing"/> is called, hashes them: the store hashes
    /// every upload it writes, so only a proof of possession needs a hash of its own.
    /// </summary>
    private sealed class HashingReadStream(Stream inner) : Stream
    {
        private readonly System.Security.Cryptography.IncrementalHash _hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        private bool _hashing;

        public long BytesRead { get; private set; }

        public void StartHashing() => _hashing = true;

        public string Digest() => Convert.ToHexStringLower(_hash.GetHashAndReset());

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;

        public override long Position
        {
            get => BytesRead;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = inner.Read(buffer);
            if (_hashing)
                _hash.AppendData(buffer[..read]);
            BytesRead += read;
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            if (_hashing)
                _hash.AppendData(buffer.Span[..read]);
            BytesRead += read;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                _hash.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>Records blobs a server-side job put into the store itself for a project (ingestion), so its commits find them.</summary>
    internal Task RecordStoredAsync(IReadOnlyCollection<BlobPutResult> results, Guid projectId, string userId, CancellationToken ct) =>
        RecordAllAsync(results, new Holder(userId, projectId), ct);

    /// <summary>Who an upload is recorded for: the project it names, else the uploader.</summary>
    internal sealed record Holder(string UserId, Guid? ProjectId);

    /// <summary>Records a blob stored by an upload session (verified whole) as held by <paramref name="holder"/>.</summary>
    internal Task RecordSessionUploadAsync(BlobPutResult result, Holder holder, CancellationToken ct) => RecordAllAsync([result], holder, ct);

    /// <summary>Whether <paramref name="holder"/> already holds <paramref name="digest"/> (stored, intact and theirs).</summary>
    internal async Task<bool> IsPresentForAsync(Holder holder, string digest, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var present = holder.ProjectId is { } projectId
            ? BlobPossession.PresentFor(db, projectId, [holder.UserId])
            : BlobPossession.PresentForUser(db, holder.UserId, await db.Users.Where(u => u.Id == holder.UserId).Select(u => u.IsSiteAdmin).SingleAsync(ct));
        return await present.AsNoTracking().AnyAsync(b => b.Digest == digest, ct);
    }

    private async Task RecordAllAsync(IReadOnlyCollection<BlobPutResult> results, Holder holder, CancellationToken ct)
    {
        if (results.Count == 0)
            return;
        var known = new HashSet<string>(StringComparer.Ordinal);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var digests = results.Select(r => r.Digest).Distinct(StringComparer.Ordinal).ToList();
        foreach (var chunk in digests.Chunk(LookupChunk))
            known.UnionWith(await db.StoredBlobs.Where(b => chunk.Contains(b.Digest)).Select(b => b.Digest).ToListAsync(ct));
        var now = clock.GetUtcNow();
        var fresh = results.DistinctBy(r => r.Digest).Where(r => !known.Contains(r.Digest)).ToList();
        if (fresh.Count > 0)
        {
            db.StoredBlobs.AddRange(fresh.Select(r => new StoredBlob { Digest = r.Digest, Size = r.Size, StoredAt = now }));
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException ex) when (DatabaseErrors.IsUniqueViolation(ex))
            {
                // A parallel upload recorded some of them first: record the rest one by one.
                db.ChangeTracker.Clear();
                foreach (var result in fresh)
                    await RecordOneAsync(result, now, ct);
            }
            db.ChangeTracker.Clear();
        }

        // Possession after the blob row: a holder row always names a stored blob.
        if (holder.ProjectId is { } projectId)
            await BlobPossession.HoldAsync(db, projectId, digests, now, ct);
        else
            await BlobPossession.HoldAsync(db, holder.UserId, digests, now, ct);

        // Counted once recorded: every byte here was verified against its digest.
        foreach (var result in results)
            PortalTelemetry.UploadedBytes.Add(result.Size, new KeyValuePair<string, object?>("outcome", result.AlreadyExisted ? "deduplicated" : "stored"));
    }

    private async Task RecordOneAsync(BlobPutResult result, DateTimeOffset now, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.StoredBlobs.AnyAsync(b => b.Digest == result.Digest, ct))
            return;
        db.StoredBlobs.Add(new StoredBlob { Digest = result.Digest, Size = result.Size, StoredAt = now });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (DatabaseErrors.IsUniqueViolation(ex))
        {
            // Recorded by a parallel upload of the same bytes; the blob is stored either way.
        }
    }

    /// <summary>
    /// Uploading needs the Contributor role in the named project, or (without one) in at least one project. Returns
    /// whom the upload is recorded for.
    /// </summary>
    internal async Task<Holder> RequireUploaderAsync(ClaimsPrincipal user, string? projectSlug, CancellationToken ct)
    {
        var userId = ProjectAccess.UserId(user) ?? throw new PortalException(401, ErrorCodes.Unauthorized, "Sign in or send an API token.");
        if (!string.IsNullOrEmpty(projectSlug))
        {
            var grant = await access.RequireAsync(user, projectSlug, ProjectRole.Contributor, ct);
            return new Holder(userId, grant.Project.Id);
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var allowed = await db.Users.AsNoTracking()
            .Where(u => u.Id == userId)
            // Roles are stored as strings, so "at least Contributor" is spelled "not Viewer".
            .AnyAsync(u => u.IsSiteAdmin || db.Memberships.Any(m => m.UserId == userId && m.Role != ProjectRole.Viewer), ct);
        if (!allowed)
            throw PortalException.Forbidden("Uploading blobs needs the Contributor role in at least one project. Ask a project admin to change your role.");
        return new Holder(userId, null);
    }

    private static PortalException TooLarge(long max) =>
        new(413, ErrorCodes.BlobTooLarge, $"A blob may be at most {max:N0} bytes (Storage:MaxBlobBytes).", new Dictionary<string, object?> { ["maxBytes"] = max });
}
