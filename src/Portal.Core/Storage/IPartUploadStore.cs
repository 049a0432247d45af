namespace Portal.Core.Storage;

/// <summary>
/// A store that takes one large blob in parts: each part is stored on its own (in any order, in parallel, again after
/// an interruption), then the parts are put together, the whole is hashed, and only bytes that hash to the digest
/// become the blob. The file-system store keeps parts as files, S3 as a multipart upload, Azure as uncommitted blocks.
/// </summary>
/// <remarks>
/// The caller (the upload session) has verified every part against its own SHA-256 before handing it over, from a
/// local file, so a part is never half-stored and the store needs no buffer of its own.
/// </remarks>
public interface IPartUploadStore
{
    /// <summary>Starts storing a new blob in parts; the handle names it in every later call (at most 400 characters).</summary>
    Task<string> StartPartsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores part <paramref name="number"/> (from 1, starting at byte <paramref name="offset"/> of the blob) from a
    /// local file the caller wrote and verified, replacing a part of the same number; the file is gone afterwards,
    /// whatever happens. Returns what completing needs to name the part by (S3's ETag), or null.
    /// </summary>
    Task<string?> PutPartAsync(string handle, int number, long offset, string path, CancellationToken cancellationToken = default);

    /// <summary>
    /// A local file the caller may write every part into directly, at its offset, instead of handing over part files
    /// (the file-system store: the blob-to-be itself, so each byte is written once); null when the store needs
    /// <see cref="PutPartAsync"/>, or the upload is gone. Bytes written there that fail their part's check are
    /// overwritten when the part is sent again; completing hashes the whole all the same.
    /// </summary>
    string? InPlaceFile(string handle) => null;

    /// <summary>
    /// An address a client may <c>PUT</c> part <paramref name="number"/>'s bytes to directly, valid for
    /// <paramref name="validFor"/>, so they do not pass through the portal (S3: a presigned part URL; Azure: a block
    /// URL with a write-only SAS); null when the store cannot give one.
    /// </summary>
    Task<Uri?> PartUploadUrlAsync(string handle, int number, TimeSpan validFor) => Task.FromResult<Uri?>(null);

    /// <summary>
    /// The parts the store holds for <paramref name="handle"/>, however they arrived (through the portal or directly),
    /// or null when only the portal's own records can tell.
    /// </summary>
    Task<IReadOnlyList<StoredPart>?> ListPartsAsync(string handle, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<StoredPart>?>(null);

    /// <summary>
    /// Puts parts 1..n together in order and stores the result under <paramref name="digest"/> when, and only when,
    /// its bytes hash to it and it is <paramref name="size"/> bytes long. The whole is hashed even when the store
    /// already holds the blob (completing proves possession). The parts are discarded once the outcome is known; after
    /// a fault (I/O, cancellation) they stay, so the call can be repeated.
    /// </summary>
    /// <exception cref="PortalException">422 <c>digest_mismatch</c> (nothing stored).</exception>
    Task<BlobPutResult> CompletePartsAsync(string handle, string digest, long size, IReadOnlyList<StoredPart> parts, CancellationToken cancellationToken = default);

    /// <summary>Discards every part of <paramref name="handle"/>; nothing happens when there is nothing left.</summary>
    Task AbortPartsAsync(string handle, CancellationToken cancellationToken = default);
}

/// <param name="Number">From 1.</param>
/// <param name="Size">Bytes of the part.</param>
/// <param name="Tag">What <see cref="IPartUploadStore.PutPartAsync"/> returned for it.</param>
public sealed record StoredPart(int Number, long Size, string? Tag);
