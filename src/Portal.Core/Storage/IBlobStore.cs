namespace Portal.Core.Storage;

/// <summary>
/// Content-addressed blob storage. A blob is named by the SHA-256 of its bytes; a blob whose bytes do not hash to its
/// name is never stored, and storing the same bytes twice is a no-op.
/// </summary>
public interface IBlobStore
{
    /// <summary>
    /// Stores <paramref name="content"/> under <paramref name="expectedDigest"/>, verifying the bytes while they stream.
    /// When the blob is already stored the content is not read and <see cref="BlobPutResult.AlreadyExisted"/> is true
    /// (or, when another put stored it meanwhile, it was read and verified in full).
    /// </summary>
    /// <exception cref="PortalException">400 <c>digest_invalid</c>, 422 <c>digest_mismatch</c>, 413
    /// <c>blob_too_large</c> (only with <paramref name="maxSize"/>), 507 <c>storage_full</c>.</exception>
    Task<BlobPutResult> PutAsync(string expectedDigest, Stream content, long? maxSize, CancellationToken cancellationToken = default);

    Task<BlobPutResult> PutAsync(string expectedDigest, Stream content, CancellationToken cancellationToken = default);

    /// <summary>Stores content whose digest is not known up front (browser uploads, server-side ingestion).</summary>
    Task<BlobPutResult> PutAsync(Stream content, long? maxSize, CancellationToken cancellationToken = default);

    Task<BlobPutResult> PutAsync(Stream content, CancellationToken cancellationToken = default);

    Task<bool> ExistsAsync(string digest, CancellationToken cancellationToken = default);

    /// <summary>The blob's size in bytes, or null when it is not stored.</summary>
    Task<long?> GetSizeAsync(string digest, CancellationToken cancellationToken = default);

    /// <summary>
    /// Opens a stored blob. Without <paramref name="verify"/> the stream is seekable (range requests). With it the
    /// stream is forward-only and hashes what is read; when the last byte is reached and the bytes do not match the
    /// name it throws 500 <c>digest_mismatch</c> instead of completing, so a corrupt blob never reads successfully.
    /// </summary>
    /// <exception cref="PortalException">404 <c>blob_not_found</c>, 400 <c>digest_invalid</c>.</exception>
    Task<Stream> OpenReadAsync(string digest, bool verify, CancellationToken cancellationToken = default);

    /// <summary>Removes a blob; false when it was not stored.</summary>
    Task<bool> DeleteAsync(string digest, CancellationToken cancellationToken = default);

    /// <summary>Re-hashes a stored blob: true only when it exists and its bytes hash to its name.</summary>
    Task<bool> VerifyAsync(string digest, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes temp files of puts that never finished (crash, killed process) and are older than
    /// <paramref name="olderThan"/>; returns how many were removed. Choose an age well above the longest upload.
    /// </summary>
    Task<int> CleanupTempFilesAsync(TimeSpan olderThan, CancellationToken cancellationToken = default);

    /// <summary>
    /// A path for a new local file that will be handed to <see cref="AdoptAsync"/> (a pack being written): on the
    /// store's own file system when it has one, so adopting is a rename. Stale ones go with <see cref="CleanupTempFilesAsync"/>
    /// where the store can see them.
    /// </summary>
    string CreateStagingPath() => Path.Combine(Path.GetTempPath(), "portal-staging", Guid.NewGuid().ToString("N"));

    /// <summary>
    /// Stores a local file the portal wrote and hashed itself under <paramref name="digest"/> (already flushed to disk);
    /// the file is gone afterwards, whatever happens. Stores that can move it do; the others upload it, verified as any put.
    /// </summary>
    async Task<BlobPutResult> AdoptAsync(string digest, string path, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            return await PutAsync(digest, file, cancellationToken);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

/// <param name="Digest">SHA-256 of the bytes, lower-case hex.</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="AlreadyExisted">True when the store held the blob before this put (nothing new was written).</param>
public sealed record BlobPutResult(string Digest, long Size, bool AlreadyExisted);
