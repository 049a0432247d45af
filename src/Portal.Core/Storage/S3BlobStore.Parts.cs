using Amazon.S3;
using Amazon.S3.Model;

namespace Portal.Core.Storage;

/// <summary>
/// Parts of a large blob as one S3 multipart upload to a temp key (<c>tmp/uploads/&lt;guid&gt;</c>); completing
/// assembles it there, reads it back to hash it, and copies it to the blob's key only when the hash is the digest.
/// </summary>
public sealed partial class S3BlobStore : IPartUploadStore
{
    public const string UploadsPrefix = TempPrefix + "uploads/";

    public async Task<string> StartPartsAsync(CancellationToken cancellationToken = default)
    {
        await EnsureBucketAsync(cancellationToken);
        var key = UploadsPrefix + Guid.NewGuid().ToString("N");
        var started = await _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = Bucket, Key = key }, cancellationToken);
        return key + "\n" + started.UploadId;
    }

    public async Task<string?> PutPartAsync(string handle, int number, long offset, string path, CancellationToken cancellationToken = default)
    {
        var (key, uploadId) = Parse(handle);
        if (number > MaxParts)
            throw new InvalidOperationException($"S3 takes at most {MaxParts:N0} parts per upload.");
        try
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            var response = await _s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = Bucket,
                Key = key,
                UploadId = uploadId,
                PartNumber = number,
                PartSize = file.Length,
                InputStream = file,
                UseChunkEncoding = false,
            }, cancellationToken);
            return response.ETag;
        }
        finally
        {
            File.Delete(path);
        }
    }

    public async Task<BlobPutResult> CompletePartsAsync(string handle, string digest, long size, IReadOnlyList<StoredPart> parts, CancellationToken cancellationToken = default)
    {
        var (key, uploadId) = Parse(handle);
        var target = GetObjectKey(digest);
        // The upload goes when the outcome is known (stored, or not the digest's bytes); after a fault the parts (or
        // the assembled object) stay, so completing can be asked again.
        var settled = false;
        try
        {
            try
            {
                await _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
                {
                    BucketName = Bucket,
                    Key = key,
                    UploadId = uploadId,
                    PartETags = [.. parts.OrderBy(p => p.Number).Select(p => new PartETag(p.Number, p.Tag))],
                }, cancellationToken);
            }
            catch (AmazonS3Exception ex) when (ex.ErrorCode == "NoSuchUpload")
            {
                // Assembled by an earlier attempt that failed after it, or really gone.
                if (await GetSizeOfKeyAsync(key, cancellationToken) is null)
                    throw;
            }

            // The parts were verified one by one; the whole is what the digest names, so it is read back and hashed,
            // also when the store holds the blob already: completing is what proves the uploader has the bytes.
            string actual;
            long length;
            using (var response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = Bucket, Key = key }, cancellationToken))
            {
                length = response.ContentLength;
                actual = await AzureBlobStore.HashAsync(response.ResponseStream, cancellationToken);
            }
            if (actual != digest || length != size)
            {
                settled = true;
                throw BlobStoreErrors.DigestMismatch(digest, actual, length);
            }
            if (await GetSizeOfKeyAsync(target, cancellationToken) is { } existing)
            {
                settled = true;
                return new BlobPutResult(digest, existing, AlreadyExisted: true);
            }
            await CopyAsync(key, target, size, cancellationToken);
            settled = true;
            return new BlobPutResult(digest, size, AlreadyExisted: false);
        }
        finally
        {
            if (settled)
                await AbortPartsAsync(handle, CancellationToken.None);
        }
    }

    public async Task AbortPartsAsync(string handle, CancellationToken cancellationToken = default)
    {
        var (key, uploadId) = Parse(handle);
        await TryAbortAsync(key, uploadId);
        await TryDeleteAsync(key);
    }

    /// <summary>Set when the service does not implement ListParts (s3rver): without it parts sent directly cannot be found.</summary>
    private bool _cannotListParts;

    public async Task<Uri?> PartUploadUrlAsync(string handle, int number, TimeSpan validFor)
    {
        if (_cannotListParts)
            return null;
        var (key, uploadId) = Parse(handle);
        var url = await _s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = Bucket,
            Key = key,
            Verb = HttpVerb.PUT,
            UploadId = uploadId,
            PartNumber = number,
            Expires = _time.GetUtcNow().UtcDateTime + validFor,
            // A local S3-compatible server (MinIO, s3rver) may speak plain HTTP.
            Protocol = _s3.Config.ServiceURL?.StartsWith("http:", StringComparison.OrdinalIgnoreCase) == true ? Protocol.HTTP : Protocol.HTTPS,
        });
        return new Uri(url);
    }

    public async Task<IReadOnlyList<StoredPart>?> ListPartsAsync(string handle, CancellationToken cancellationToken = default)
    {
        var (key, uploadId) = Parse(handle);
        var parts = new List<StoredPart>();
        ListPartsResponse page;
        string? marker = null;
        do
        {
            try
            {
                page = await _s3.ListPartsAsync(new ListPartsRequest { BucketName = Bucket, Key = key, UploadId = uploadId, PartNumberMarker = marker }, cancellationToken);
            }
            catch (AmazonS3Exception ex) when (ex.ErrorCode is "NotImplemented" or "MethodNotAllowed" || ex.StatusCode is System.Net.HttpStatusCode.NotImplemented or System.Net.HttpStatusCode.MethodNotAllowed)
            {
                // Only the portal's own records can tell; parts then go through the portal.
                _cannotListParts = true;
                return null;
            }
            parts.AddRange((page.Parts ?? []).Select(p => new StoredPart(p.PartNumber ?? 0, p.Size ?? 0, p.ETag)));
            marker = page.NextPartNumberMarker?.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        while (page.IsTruncated == true);
        return parts;
    }

    private static (string Key, string UploadId) Parse(string handle)
    {
        var parts = handle.Split('\n');
        if (parts.Length != 2 || !parts[0].StartsWith(UploadsPrefix, StringComparison.Ordinal))
            throw new ArgumentException("Not an upload handle of this store.", nameof(handle));
        return (parts[0], parts[1]);
    }
}
