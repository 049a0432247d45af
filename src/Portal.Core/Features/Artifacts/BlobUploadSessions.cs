using System.Buffers;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Maintenance;
using Portal.Core.Storage;

namespace Portal.Core.Features.Artifacts;

/// <summary>
/// Large blobs in parts: a session is opened for (digest, size), parts of the size the server chose arrive in any order
/// and in parallel, each verified against its own SHA-256 before the store keeps it, and completing puts them together
/// and hashes the whole; only then does the blob exist (and count as the uploader's, <see cref="BlobUploads"/>). An
/// interrupted upload asks for the session again and sends only the parts it lacks. Small blobs keep the single
/// <c>PUT</c> and the batch.
/// </summary>
public sealed class BlobUploadSessions(
    IDbContextFactory<PortalDbContext> dbFactory,
    [FromKeyedServices(StorageServiceCollectionExtensions.ObjectStoreKey)] IBlobStore objects,
    BlobUploads uploads,
    IOptions<BlobStoreOptions> options,
    TimeProvider clock)
{
    /// <summary>S3 takes at most this many parts per upload; larger blobs get larger parts.</summary>
    public const int MaxParts = 10_000;

    /// <summary>S3's smallest part (all but the last).</summary>
    public const long MinPartBytes = 5L * 1024 * 1024;

    /// <summary>A completion that has not finished after this long (its server died) no longer blocks the next one.</summary>
    private static readonly TimeSpan CompletingTimeout = TimeSpan.FromHours(1);

    private const int ReportedMissingParts = 1000;

    private IPartUploadStore Parts => objects as IPartUploadStore
        ?? throw new InvalidOperationException($"The blob store {objects.GetType().Name} cannot take blobs in parts.");

    /// <summary>
    /// Opens a session for the blob, or returns the caller's open one for the same blob with the parts it holds (so an
    /// interrupted upload resumes), or says there is nothing to send when the caller holds the blob already.
    /// </summary>
    /// <exception cref="PortalException">400 <c>digest_invalid</c> / <c>size_invalid</c>, 413 <c>blob_too_large</c>,
    /// 403 / 404 as for a single upload.</exception>
    /// <returns>The session, and whether it was opened by this call (not resumed, not needed).</returns>
    public async Task<(UploadSessionResponse Session, bool Opened)> StartAsync(ClaimsPrincipal user, StartUploadSessionRequest request, CancellationToken ct = default)
    {
        ContentDigest.Validate(request.Digest);
        if (request.Size <= 0)
            throw PortalException.BadRequest(ErrorCodes.SizeInvalid, $"An upload session is for a blob of at least one byte (size {request.Size:N0}); send empty files with a single PUT.");
        if (request.Size > uploads.MaxBlobBytes)
        {
            throw new PortalException(413, ErrorCodes.BlobTooLarge, $"A blob may be at most {uploads.MaxBlobBytes:N0} bytes (Storage:MaxBlobBytes).",
                new Dictionary<string, object?> { ["maxBytes"] = uploads.MaxBlobBytes });
        }
        var holder = await uploads.RequireUploaderAsync(user, request.Project, ct);
        if (await uploads.IsPresentForAsync(holder, request.Digest, ct))
            return (new UploadSessionResponse(null, request.Digest, request.Size, 0, 0, null, [], AlreadyStored: true), false);

        var now = clock.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var open = await db.UploadSessions.AsNoTracking().Include(s => s.Parts)
            .Where(s => s.UserId == holder.UserId && s.Digest == request.Digest && s.ProjectId == holder.ProjectId && s.Size == request.Size && s.ExpiresAt > now)
            .OrderByDescending(s => s.CreatedAt)
            .FirstOrDefaultAsync(ct);
        if (open is not null)
            return (await ToResponseAsync(open), false);

        var session = new UploadSession
        {
            Id = Guid.NewGuid(),
            Digest = request.Digest,
            Size = request.Size,
            PartSize = PartSizeFor(request.Size),
            UserId = holder.UserId,
            ProjectId = holder.ProjectId,
            StoreHandle = await Parts.StartPartsAsync(ct),
            CreatedAt = now,
            ExpiresAt = now + options.Value.UploadSessionLifetime,
        };
        db.UploadSessions.Add(session);
        await db.SaveChangesAsync(ct);
        return (await ToResponseAsync(session), true);
    }

    /// <summary>The session with the parts the server holds; only its owner sees it.</summary>
    public async Task<UploadSessionResponse> GetAsync(ClaimsPrincipal user, Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await ToResponseAsync(await FindAsync(db, user, id, withParts: true, ct));
    }

    /// <summary>
    /// Receives part <paramref name="number"/>: exactly the bytes the session expects for it, hashing to
    /// <paramref name="sha256"/>. The part is spooled to a local file while hashed, so a bad part never reaches the
    /// store; a part sent again replaces the earlier one.
    /// </summary>
    /// <exception cref="PortalException">400 <c>part_number_invalid</c>, <c>part_digest_missing</c>,
    /// <c>part_size_mismatch</c>; 422 <c>part_digest_mismatch</c>; 404 <c>upload_session_not_found</c>; 409
    /// <c>upload_session_busy</c> while it is being completed.</exception>
    public async Task<UploadPartResponse> PutPartAsync(ClaimsPrincipal user, Guid id, int number, string? sha256, Stream content, long? declaredLength, CancellationToken ct = default)
    {
        UploadSession session;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            session = await FindAsync(db, user, id, withParts: false, ct);
        if (session.CompletingSince is not null)
            throw Busy(session);
        if (number < 1 || number > session.PartCount)
        {
            throw PortalException.BadRequest(ErrorCodes.PartNumberInvalid,
                $"This session has parts 1 to {session.PartCount:N0} ({session.PartSize:N0} bytes each, the last one the rest); part {number} does not exist.");
        }
        sha256 = sha256?.Trim().ToLowerInvariant();
        if (sha256 is null || !ContentDigest.IsValid(sha256))
        {
            throw PortalException.BadRequest(ErrorCodes.PartDigestMissing,
                $"Send the SHA-256 of the part's bytes (64 hex characters) in the {UploadSessionHeaders.PartSha256} header.");
        }
        var expected = session.PartLength(number);
        if (declaredLength is { } declared && declared != expected)
            throw PartSizeMismatch(number, expected, declared);

        var offset = (number - 1) * session.PartSize;
        var inPlace = Parts.InPlaceFile(session.StoreHandle);
        var spool = inPlace is null ? objects.CreateStagingPath() : null;
        var recorded = false;
        try
        {
            var (actual, length) = await ReceiveAsync(content, inPlace ?? spool!, inPlace is null ? 0 : offset, expected, ct);
            PortalException? refused = length != expected ? PartSizeMismatch(number, expected, length)
                : actual != sha256 ? new PortalException(422, ErrorCodes.PartDigestMismatch,
                    $"Part {number} does not match its digest: expected sha256:{sha256} but its {length:N0} bytes hash to sha256:{actual}. Send the part again; nothing of it was kept.",
                    new Dictionary<string, object?> { ["part"] = number, ["expected"] = sha256, ["actual"] = actual })
                : null;
            if (refused is not null)
                throw refused;
            var tag = spool is null ? null : await Parts.PutPartAsync(session.StoreHandle, number, offset, spool, ct);
            await RecordPartAsync(session, new UploadPart { SessionId = session.Id, Number = number, Size = length, Sha256 = actual, Tag = tag, ReceivedAt = clock.GetUtcNow() }, ct);
            recorded = true;
            return new UploadPartResponse(number, length, actual);
        }
        finally
        {
            // Written in place, bytes that were refused or cut short took the place of any earlier copy of the part:
            // it must come again.
            if (inPlace is not null && !recorded)
                await ForgetPartAsync(session.Id, number);
            // The store took the spool file (and removed it) when the part was good; anything else leaves nothing behind.
            if (spool is not null)
                TryDelete(spool);
        }
    }

    /// <summary>
    /// Puts the parts together and stores the blob when the whole hashes to the session's digest; the session ends
    /// either way, except after a fault (the store, the connection), when completing can be asked again.
    /// </summary>
    /// <exception cref="PortalException">409 <c>parts_missing</c> (with the missing numbers) or <c>upload_session_busy</c>;
    /// 422 <c>digest_mismatch</c> (nothing stored, the session is gone); 404 <c>upload_session_not_found</c>.</exception>
    public async Task<BlobPutResponse> CompleteAsync(ClaimsPrincipal user, Guid id, CancellationToken ct = default)
    {
        UploadSession session;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            session = await FindAsync(db, user, id, withParts: true, ct);
        var held = await HeldPartsAsync(session, ct);
        var received = held.Select(p => p.Number).ToHashSet();
        var missing = Enumerable.Range(1, session.PartCount).Where(n => !received.Contains(n)).ToList();
        if (missing.Count > 0)
        {
            throw PortalException.Conflict(ErrorCodes.PartsMissing,
                $"{missing.Count:N0} of {session.PartCount:N0} parts have not arrived (first: {string.Join(", ", missing.Take(10))}); send them, then complete again.",
                new Dictionary<string, object?> { ["missing"] = missing.Take(ReportedMissingParts).ToList(), ["missingCount"] = missing.Count });
        }
        // Still allowed to upload there (a role may have changed since the session opened).
        var holder = await RequireHolderAsync(user, session, ct);
        if (!await ClaimAsync(session, ct))
            throw Busy(session);

        BlobPutResult result;
        try
        {
            var stored = held.Select(p => new StoredPart(p.Number, p.Size, p.Tag)).ToList();
            result = await Parts.CompletePartsAsync(session.StoreHandle, session.Digest, session.Size, stored, ct);
        }
        catch (PortalException ex) when (ex.Code == ErrorCodes.DigestMismatch)
        {
            // The store discarded the parts; the session has nothing left to complete.
            await DeleteSessionAsync(session.Id);
            var actual = ex.Extensions.GetValueOrDefault("actual");
            throw new PortalException(422, ErrorCodes.DigestMismatch,
                $"The {session.Size:N0} bytes of the parts put together hash to sha256:{actual}, not sha256:{session.Digest}. Nothing was stored and the session is closed; start a new one.",
                ex.Extensions);
        }
        catch
        {
            await ReleaseAsync(session.Id);
            throw;
        }

        await uploads.RecordSessionUploadAsync(result, holder, CancellationToken.None);
        await DeleteSessionAsync(session.Id);
        return new BlobPutResponse(result.Digest, result.Size, result.AlreadyExisted);
    }

    /// <summary>Ends the session and discards its parts.</summary>
    public async Task AbortAsync(ClaimsPrincipal user, Guid id, CancellationToken ct = default)
    {
        UploadSession session;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            session = await FindAsync(db, user, id, withParts: false, ct);
        if (session.CompletingSince is { } since && since > clock.GetUtcNow() - CompletingTimeout)
            throw Busy(session);
        await Parts.AbortPartsAsync(session.StoreHandle, ct);
        await DeleteSessionAsync(session.Id);
    }

    /// <summary>
    /// Removes sessions no part arrived for within <see cref="BlobStoreOptions.UploadSessionLifetime"/>, with their
    /// parts (maintenance, with pending-version expiry).
    /// </summary>
    public async Task ExpireAsync(MaintenanceReport report, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var stuck = now - CompletingTimeout;
        while (true)
        {
            List<UploadSession> batch;
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
            {
                batch = await db.UploadSessions.AsNoTracking()
                    .Where(s => s.ExpiresAt < now && (s.CompletingSince == null || s.CompletingSince < stuck))
                    .OrderBy(s => s.ExpiresAt)
                    .Take(100)
                    .ToListAsync(ct);
            }
            if (batch.Count == 0)
                return;
            foreach (var session in batch)
            {
                await Parts.AbortPartsAsync(session.StoreHandle, ct);
                await DeleteSessionAsync(session.Id);
                report.List("expiredUploadSessions", new { sessionId = session.Id, digest = session.Digest, size = session.Size, expiredAt = session.ExpiresAt });
            }
        }
    }

    /// <summary>
    /// Parts of <see cref="BlobStoreOptions.UploadPartBytes"/> (at least S3's 5 MiB), made larger in whole MiB when
    /// the blob would need more than <see cref="MaxParts"/>.
    /// </summary>
    internal long PartSizeFor(long size)
    {
        var partSize = Math.Max(options.Value.UploadPartBytes, MinPartBytes);
        if (UploadSession.PartCountFor(size, partSize) > MaxParts)
        {
            const long mib = 1024 * 1024;
            partSize = ((size + MaxParts - 1) / MaxParts + mib - 1) / mib * mib;
        }
        return partSize;
    }

    private async Task<UploadSession> FindAsync(PortalDbContext db, ClaimsPrincipal user, Guid id, bool withParts, CancellationToken ct)
    {
        var userId = ProjectAccess.UserId(user) ?? throw PortalException.Unauthenticated();
        var query = db.UploadSessions.AsNoTracking();
        if (withParts)
            query = query.Include(s => s.Parts);
        var now = clock.GetUtcNow();
        // Someone else's session is as unknown as one that never existed.
        return await query.SingleOrDefaultAsync(s => s.Id == id && s.UserId == userId && s.ExpiresAt > now, ct)
            ?? throw PortalException.NotFound(ErrorCodes.UploadSessionNotFound,
                $"Upload session {id} does not exist, has expired or was completed; start a new one with POST /api/v1/blobs/uploads.");
    }

    private async Task<BlobUploads.Holder> RequireHolderAsync(ClaimsPrincipal user, UploadSession session, CancellationToken ct)
    {
        if (session.ProjectId is not { } projectId)
            return await uploads.RequireUploaderAsync(user, null, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var slug = await db.Projects.Where(p => p.Id == projectId).Select(p => p.Slug).SingleOrDefaultAsync(ct)
            ?? throw PortalException.NotFound(ErrorCodes.UploadSessionNotFound, $"The project of upload session {session.Id} no longer exists.");
        return await uploads.RequireUploaderAsync(user, slug, ct);
    }

    /// <summary>
    /// Writes the part into <paramref name="path"/> from byte <paramref name="offset"/> while hashing it, reading at
    /// most one byte more than <paramref name="expected"/> (enough to know it is too long).
    /// </summary>
    private static async Task<(string Sha256, long Length)> ReceiveAsync(Stream content, string path, long offset, long expected, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        long length = 0;
        try
        {
            using var file = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite);
            int read;
            while (length <= expected && (read = await content.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, expected + 1 - length)), ct)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                // Written synchronously while the next chunk is read: an asynchronous file write is the same system
                // call plus a thread-pool hand-over. Never past the part's end: the next part's bytes are there.
                var keep = (int)Math.Min(read, expected - length);
                if (keep > 0)
                    RandomAccess.Write(file, buffer.AsSpan(0, keep), offset + length);
                length += read;
            }
        }
        catch (IOException ex) when (FileSystemBlobStore.IsDiskFull(ex))
        {
            throw new PortalException(507, ErrorCodes.StorageFull, "The server's disk is full; nothing of the part was kept. Try again later or ask an administrator to free space.");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return (Convert.ToHexStringLower(hash.GetHashAndReset()), length);
    }

    private async Task ForgetPartAsync(Guid sessionId, int number)
    {
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        await db.UploadParts.Where(p => p.SessionId == sessionId && p.Number == number).ExecuteDeleteAsync(CancellationToken.None);
    }

    private async Task RecordPartAsync(UploadSession session, UploadPart part, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            var existing = await db.UploadParts.SingleOrDefaultAsync(p => p.SessionId == part.SessionId && p.Number == part.Number, ct);
            if (existing is null)
            {
                db.UploadParts.Add(part);
            }
            else
            {
                existing.Size = part.Size;
                existing.Sha256 = part.Sha256;
                existing.Tag = part.Tag;
                existing.ReceivedAt = part.ReceivedAt;
            }
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException ex) when (DatabaseErrors.IsUniqueViolation(ex))
            {
                // The same part arrived twice at once: both were verified, so either record is right.
            }
        });
        var expires = part.ReceivedAt + options.Value.UploadSessionLifetime;
        await db.UploadSessions.Where(s => s.Id == session.Id && s.ExpiresAt < expires).ExecuteUpdateAsync(s => s.SetProperty(x => x.ExpiresAt, expires), ct);
    }

    /// <summary>Marks the session as being completed unless another request is doing so.</summary>
    private async Task<bool> ClaimAsync(UploadSession session, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var stuck = now - CompletingTimeout;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.UploadSessions
            .Where(s => s.Id == session.Id && (s.CompletingSince == null || s.CompletingSince < stuck))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.CompletingSince, now), ct) == 1;
    }

    private async Task ReleaseAsync(Guid id)
    {
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        await db.UploadSessions.Where(s => s.Id == id).ExecuteUpdateAsync(s => s.SetProperty(x => x.CompletingSince, (DateTimeOffset?)null), CancellationToken.None);
    }

    private async Task DeleteSessionAsync(Guid id)
    {
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        await db.UploadParts.Where(p => p.SessionId == id).ExecuteDeleteAsync(CancellationToken.None);
        await db.UploadSessions.Where(s => s.Id == id).ExecuteDeleteAsync(CancellationToken.None);
    }

    /// <summary>How long a direct part address is valid; asking for the session again gives fresh ones.</summary>
    private static readonly TimeSpan PartUrlValidity = TimeSpan.FromHours(6);

    private async Task<UploadSessionResponse> ToResponseAsync(UploadSession session)
    {
        var held = await HeldPartsAsync(session, CancellationToken.None);
        List<PartUploadUrl>? urls = null;
        if (options.Value.DirectPartUploads)
        {
            var have = held.Select(p => p.Number).ToHashSet();
            var expires = clock.GetUtcNow() + PartUrlValidity;
            foreach (var number in Enumerable.Range(1, session.PartCount).Where(n => !have.Contains(n)))
            {
                if (await Parts.PartUploadUrlAsync(session.StoreHandle, number, PartUrlValidity) is not { } url)
                    break;
                (urls ??= []).Add(new PartUploadUrl(number, url, expires));
            }
        }
        return new(session.Id, session.Digest, session.Size, session.PartSize, session.PartCount, session.ExpiresAt,
            [.. held.Select(p => new UploadPartResponse(p.Number, p.Size, p.Sha256))], AlreadyStored: false, urls);
    }

    /// <summary>
    /// The parts the session holds: what the store lists where it can (parts sent straight to it included), each of
    /// the size its number needs, with the SHA-256 the portal verified where the part came through it; otherwise the
    /// portal's own records.
    /// </summary>
    private async Task<List<HeldPart>> HeldPartsAsync(UploadSession session, CancellationToken ct)
    {
        var recorded = session.Parts.ToDictionary(p => p.Number);
        if (await Parts.ListPartsAsync(session.StoreHandle, ct) is not { } listed)
            return [.. recorded.Values.OrderBy(p => p.Number).Select(p => new HeldPart(p.Number, p.Size, p.Sha256, p.Tag))];
        return [.. listed
            .Where(p => p.Number >= 1 && p.Number <= session.PartCount && p.Size == session.PartLength(p.Number))
            .DistinctBy(p => p.Number)
            .OrderBy(p => p.Number)
            .Select(p => recorded.TryGetValue(p.Number, out var known) && known.Size == p.Size
                ? new HeldPart(p.Number, p.Size, known.Sha256, p.Tag ?? known.Tag)
                : new HeldPart(p.Number, p.Size, null, p.Tag))];
    }

    private sealed record HeldPart(int Number, long Size, string? Sha256, string? Tag);

    private static PortalException Busy(UploadSession session) =>
        PortalException.Conflict(ErrorCodes.UploadSessionBusy, $"Upload session {session.Id} is being completed; ask for it again in a moment.");

    private static PortalException PartSizeMismatch(int number, long expected, long actual) =>
        PortalException.BadRequest(ErrorCodes.PartSizeMismatch,
            $"Part {number} must be {expected:N0} bytes" + (actual > expected ? $" but more arrived" : $" but {actual:N0} arrived") + "; nothing of it was kept.",
            new Dictionary<string, object?> { ["part"] = number, ["expectedSize"] = expected });

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A stale spool file is removed with the store's temp files.
        }
    }
}
