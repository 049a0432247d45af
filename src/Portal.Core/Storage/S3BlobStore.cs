using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Options;

namespace Portal.Core.Storage;

/// <summary>
/// Blob store in an S3 bucket (AWS or an S3-compatible server), with the file-system layout
/// <c>sha256/ab/cd/&lt;64 hex&gt;</c> as object keys.
/// </summary>
/// <remarks>
/// <para>A put with a known digest streams the body as a multipart upload to the final key while hashing, and
/// completes the upload only when the digest matches; otherwise it aborts it. An upload is invisible until completed,
/// so readers see no object or the complete one. Completion carries <c>If-None-Match: *</c>, so on AWS exactly one of
/// concurrent puts of the same bytes stores them; servers without conditional writes let the last one overwrite the
/// object with the same bytes, which is just as good for content-addressed data.</para>
/// <para>A put whose digest is only known at the end uploads to a temp key under <see cref="TempPrefix"/>, copies it
/// server-side to the final key and deletes it. <see cref="CleanupTempFilesAsync"/> removes temp objects and
/// multipart uploads a crash left behind.</para>
/// <para>A body that fits in one part is hashed in memory first and stored with one request, or not at all.</para>
/// </remarks>
public sealed partial class S3BlobStore : IBlobStore, IDisposable
{
    /// <summary>Temp objects of puts with an unknown digest are named <c>tmp/&lt;guid&gt;</c>.</summary>
    public const string TempPrefix = "tmp/";

    // 8 MiB parts: two of them per running put; S3's 10,000 parts then allow 78 GiB, above the default
    // Storage:MaxBlobBytes of 50 GiB.
    internal const int PartSize = 8 * 1024 * 1024;

    private const int MaxParts = 10_000;

    // CopyObject copies at most 5 GiB; bigger objects are copied part by part.
    private const long MaxSingleCopyBytes = 5L * 1024 * 1024 * 1024;
    private const long CopyPartBytes = 512L * 1024 * 1024;

    private readonly IAmazonS3 _s3;
    private readonly bool _ownsClient;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _bucketLock = new(1, 1);
    private volatile bool _bucketReady;

    public S3BlobStore(IAmazonS3 client, string bucket, TimeProvider? timeProvider = null)
        : this(client, bucket, ownsClient: false, timeProvider)
    {
    }

    [Microsoft.Extensions.DependencyInjection.ActivatorUtilitiesConstructor]
    public S3BlobStore(IOptions<BlobStoreOptions> options, TimeProvider timeProvider)
        : this(CreateClient(options.Value.S3), options.Value.S3.Bucket, ownsClient: true, timeProvider)
    {
    }

    private S3BlobStore(IAmazonS3 client, string bucket, bool ownsClient, TimeProvider? timeProvider)
    {
        _s3 = client;
        Bucket = bucket;
        _ownsClient = ownsClient;
        _time = timeProvider ?? TimeProvider.System;
    }

    public string Bucket { get; }

    /// <summary>Key of the object holding <paramref name="digest"/>.</summary>
    public static string GetObjectKey(string digest) => BlobStoreErrors.BlobKey(digest);

    public static AmazonS3Client CreateClient(S3BlobStoreOptions options)
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            // Checksums only where S3 demands them: the SHA-256 of every blob is verified by the store itself, and
            // several S3-compatible servers reject the SDK's default streaming checksum trailers.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (string.IsNullOrWhiteSpace(options.ServiceUrl))
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region);
        }
        else
        {
            config.ServiceURL = options.ServiceUrl;
            config.AuthenticationRegion = options.Region;
        }
        if (string.IsNullOrEmpty(options.AccessKey) != string.IsNullOrEmpty(options.SecretKey))
            throw new InvalidOperationException("Storage:S3:AccessKey and Storage:S3:SecretKey must be set together.");
        return string.IsNullOrEmpty(options.AccessKey)
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config);
    }

    public Task<BlobPutResult> PutAsync(string expectedDigest, Stream content, CancellationToken cancellationToken = default) =>
        PutAsync(expectedDigest, content, maxSize: null, cancellationToken);

    public async Task<BlobPutResult> PutAsync(string expectedDigest, Stream content, long? maxSize, CancellationToken cancellationToken = default)
    {
        var key = GetObjectKey(expectedDigest);
        if (await GetSizeOfKeyAsync(key, cancellationToken) is { } existingSize)
            return new BlobPutResult(expectedDigest, existingSize, AlreadyExisted: true);
        BlobStoreErrors.RejectKnownOversize(content, maxSize);
        await EnsureBucketAsync(cancellationToken);

        var multipart = new MultipartUpload(this, key);
        try
        {
            using var upload = await ChunkedUpload.RunAsync(content, PartSize, maxSize, multipart.UploadPartAsync, cancellationToken);
            if (upload.Digest != expectedDigest)
                throw BlobStoreErrors.DigestMismatch(expectedDigest, upload.Digest, upload.Size);
            return await StoreAsync(key, upload, multipart, cancellationToken);
        }
        catch
        {
            await multipart.AbortAsync();
            throw;
        }
    }

    public Task<BlobPutResult> PutAsync(Stream content, CancellationToken cancellationToken = default) =>
        PutAsync(content, maxSize: null, cancellationToken);

    public async Task<BlobPutResult> PutAsync(Stream content, long? maxSize, CancellationToken cancellationToken = default)
    {
        BlobStoreErrors.RejectKnownOversize(content, maxSize);
        await EnsureBucketAsync(cancellationToken);
        var tempKey = TempPrefix + Guid.NewGuid().ToString("N");
        var multipart = new MultipartUpload(this, tempKey);
        var tempCompleted = false;
        try
        {
            using var upload = await ChunkedUpload.RunAsync(content, PartSize, maxSize, multipart.UploadPartAsync, cancellationToken);
            var key = GetObjectKey(upload.Digest);
            // Known only now: whether the blob is already stored (If-None-Match alone would not tell on servers that
            // ignore it).
            if (await GetSizeOfKeyAsync(key, cancellationToken) is not null)
            {
                await multipart.AbortAsync();
                return new BlobPutResult(upload.Digest, upload.Size, AlreadyExisted: true);
            }
            if (upload.Parts == 0)
                return await StoreAsync(key, upload, multipart, cancellationToken);
            await multipart.CompleteAsync(ifNoneMatch: false, cancellationToken);
            tempCompleted = true;
            await CopyAsync(tempKey, key, upload.Size, cancellationToken);
            return new BlobPutResult(upload.Digest, upload.Size, AlreadyExisted: false);
        }
        catch
        {
            await multipart.AbortAsync();
            throw;
        }
        finally
        {
            if (tempCompleted)
                await TryDeleteAsync(tempKey);
        }
    }

    public async Task<bool> ExistsAsync(string digest, CancellationToken cancellationToken = default) =>
        await GetSizeAsync(digest, cancellationToken) is not null;

    public Task<long?> GetSizeAsync(string digest, CancellationToken cancellationToken = default) =>
        GetSizeOfKeyAsync(GetObjectKey(digest), cancellationToken);

    public async Task<Stream> OpenReadAsync(string digest, bool verify, CancellationToken cancellationToken = default)
    {
        var key = GetObjectKey(digest);
        if (!verify)
        {
            var length = await GetSizeOfKeyAsync(key, cancellationToken) ?? throw BlobStoreErrors.NotFound(digest);
            return new RangedReadStream(length, async (offset, ct) =>
            {
                var response = await _s3.GetObjectAsync(new GetObjectRequest
                {
                    BucketName = Bucket,
                    Key = key,
                    ByteRange = new ByteRange(offset, length - 1),
                }, ct);
                return response.ResponseStream;
            });
        }
        try
        {
            var response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = Bucket, Key = key }, cancellationToken);
            return new VerifyingReadStream(response.ResponseStream, digest, response.ContentLength);
        }
        catch (AmazonS3Exception ex) when (IsNotFound(ex))
        {
            throw BlobStoreErrors.NotFound(digest);
        }
    }

    public async Task<bool> DeleteAsync(string digest, CancellationToken cancellationToken = default)
    {
        var key = GetObjectKey(digest);
        // S3 deletes succeed whether or not the key exists, so ask first to report what happened.
        if (await GetSizeOfKeyAsync(key, cancellationToken) is null)
            return false;
        await _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Bucket, Key = key }, cancellationToken);
        return true;
    }

    public async Task<bool> VerifyAsync(string digest, CancellationToken cancellationToken = default)
    {
        GetObjectResponse response;
        try
        {
            response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = Bucket, Key = GetObjectKey(digest) }, cancellationToken);
        }
        catch (AmazonS3Exception ex) when (IsNotFound(ex))
        {
            return false;
        }
        using (response)
            return await AzureBlobStore.HashAsync(response.ResponseStream, cancellationToken) == digest;
    }

    public async Task<int> CleanupTempFilesAsync(TimeSpan olderThan, CancellationToken cancellationToken = default)
    {
        var cutoff = (_time.GetUtcNow() - olderThan).UtcDateTime;
        var removed = 0;
        try
        {
            var listing = new ListObjectsV2Request { BucketName = Bucket, Prefix = TempPrefix };
            ListObjectsV2Response page;
            do
            {
                page = await _s3.ListObjectsV2Async(listing, cancellationToken);
                foreach (var item in page.S3Objects ?? [])
                {
                    if (item.LastModified is { } modified && modified.ToUniversalTime() < cutoff)
                    {
                        await _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Bucket, Key = item.Key }, cancellationToken);
                        removed++;
                    }
                }
                listing.ContinuationToken = page.NextContinuationToken;
            }
            while (page.IsTruncated == true);
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode == "NoSuchBucket")
        {
            return 0;
        }
        return removed + await AbortStaleUploadsAsync(cutoff, cancellationToken);
    }

    public void Dispose()
    {
        if (_ownsClient)
            _s3.Dispose();
        _bucketLock.Dispose();
    }

    /// <summary>Multipart uploads never completed or aborted (a killed process) keep their parts, and cost, until aborted.</summary>
    private async Task<int> AbortStaleUploadsAsync(DateTime cutoff, CancellationToken cancellationToken)
    {
        var aborted = 0;
        var listing = new ListMultipartUploadsRequest { BucketName = Bucket };
        ListMultipartUploadsResponse page;
        do
        {
            try
            {
                page = await _s3.ListMultipartUploadsAsync(listing, cancellationToken);
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotImplemented || ex.ErrorCode == "NotImplemented")
            {
                // Some S3-compatible servers (s3rver) cannot list uploads; their lifecycle is theirs to manage.
                return aborted;
            }
            foreach (var upload in page.MultipartUploads ?? [])
            {
                if (upload.Initiated is { } initiated && initiated.ToUniversalTime() < cutoff
                    && (upload.Key.StartsWith(TempPrefix, StringComparison.Ordinal) || upload.Key.StartsWith("sha256/", StringComparison.Ordinal)))
                {
                    await _s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = Bucket, Key = upload.Key, UploadId = upload.UploadId }, cancellationToken);
                    aborted++;
                }
            }
            listing.KeyMarker = page.NextKeyMarker;
            listing.UploadIdMarker = page.NextUploadIdMarker;
        }
        while (page.IsTruncated == true);
        return aborted;
    }

    private async Task<BlobPutResult> StoreAsync(string key, ChunkedUpload.Result upload, MultipartUpload multipart, CancellationToken cancellationToken)
    {
        try
        {
            if (upload.Parts == 0)
            {
                using var body = new MemoryStream(upload.SingleChunkBuffer!, 0, upload.SingleChunkLength, writable: false);
                await _s3.PutObjectAsync(new PutObjectRequest
                {
                    BucketName = Bucket,
                    Key = key,
                    InputStream = body,
                    AutoCloseStream = false,
                    UseChunkEncoding = false,
                    IfNoneMatch = "*",
                }, cancellationToken);
            }
            else
            {
                await multipart.CompleteAsync(ifNoneMatch: true, cancellationToken);
            }
            return new BlobPutResult(upload.Digest, upload.Size, AlreadyExisted: false);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict)
        {
            // Another put of the same bytes completed first (412), or is completing right now (409).
            await multipart.AbortAsync();
            return new BlobPutResult(upload.Digest, upload.Size, AlreadyExisted: true);
        }
    }

    private async Task CopyAsync(string sourceKey, string destinationKey, long size, CancellationToken cancellationToken)
    {
        if (size <= MaxSingleCopyBytes)
        {
            await _s3.CopyObjectAsync(new CopyObjectRequest
            {
                SourceBucket = Bucket,
                SourceKey = sourceKey,
                DestinationBucket = Bucket,
                DestinationKey = destinationKey,
            }, cancellationToken);
            return;
        }
        var initiated = await _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = Bucket, Key = destinationKey }, cancellationToken);
        try
        {
            var parts = new List<PartETag>();
            for (long first = 0, number = 1; first < size; first += CopyPartBytes, number++)
            {
                var part = await _s3.CopyPartAsync(new CopyPartRequest
                {
                    SourceBucket = Bucket,
                    SourceKey = sourceKey,
                    DestinationBucket = Bucket,
                    DestinationKey = destinationKey,
                    UploadId = initiated.UploadId,
                    PartNumber = (int)number,
                    FirstByte = first,
                    LastByte = Math.Min(first + CopyPartBytes, size) - 1,
                }, cancellationToken);
                parts.Add(new PartETag((int)number, part.ETag));
            }
            await _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = Bucket,
                Key = destinationKey,
                UploadId = initiated.UploadId,
                PartETags = parts,
            }, cancellationToken);
        }
        catch
        {
            await TryAbortAsync(destinationKey, initiated.UploadId);
            throw;
        }
    }

    private async Task<long?> GetSizeOfKeyAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var metadata = await _s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = Bucket, Key = key }, cancellationToken);
            return metadata.ContentLength;
        }
        catch (AmazonS3Exception ex) when (IsNotFound(ex))
        {
            return null;
        }
    }

    private static bool IsNotFound(AmazonS3Exception ex) =>
        ex.StatusCode == HttpStatusCode.NotFound || ex.ErrorCode is "NoSuchKey" or "NoSuchBucket";

    private async Task EnsureBucketAsync(CancellationToken cancellationToken)
    {
        if (_bucketReady)
            return;
        await _bucketLock.WaitAsync(cancellationToken);
        try
        {
            if (_bucketReady)
                return;
            try
            {
                await _s3.GetBucketLocationAsync(new GetBucketLocationRequest { BucketName = Bucket }, cancellationToken);
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.Forbidden)
            {
                // Credentials limited to the bucket's objects may not read its location; the bucket is then the
                // operator's to create, and a missing one shows up as a failed write.
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound || ex.ErrorCode == "NoSuchBucket")
            {
                try
                {
                    await _s3.PutBucketAsync(new PutBucketRequest { BucketName = Bucket, UseClientRegion = true }, cancellationToken);
                }
                catch (AmazonS3Exception created) when (created.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
                {
                    // Another replica created it first.
                }
            }
            _bucketReady = true;
        }
        finally
        {
            _bucketLock.Release();
        }
    }

    private async Task TryDeleteAsync(string key)
    {
        try
        {
            await _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Bucket, Key = key });
        }
        catch (AmazonServiceException)
        {
            // Left for CleanupTempFilesAsync; the put's own outcome is what the caller needs to see.
        }
    }

    private async Task TryAbortAsync(string key, string uploadId)
    {
        try
        {
            await _s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = Bucket, Key = key, UploadId = uploadId });
        }
        catch (AmazonServiceException)
        {
            // Left for CleanupTempFilesAsync (or the bucket's lifecycle rule on servers that cannot list uploads).
        }
    }

    /// <summary>One multipart upload, started by its first part so that bodies of one part never start one.</summary>
    private sealed class MultipartUpload(S3BlobStore store, string key)
    {
        private readonly List<PartETag> _parts = [];
        private string? _uploadId;

        public async Task UploadPartAsync(int number, ArraySegment<byte> bytes, CancellationToken cancellationToken)
        {
            if (number > MaxParts)
                throw new InvalidOperationException($"A blob of more than {MaxParts:N0} parts of {PartSize:N0} bytes cannot be stored in S3; lower Storage:MaxBlobBytes.");
            _uploadId ??= (await store._s3.InitiateMultipartUploadAsync(
                new InitiateMultipartUploadRequest { BucketName = store.Bucket, Key = key }, cancellationToken)).UploadId;
            using var body = new MemoryStream(bytes.Array!, bytes.Offset, bytes.Count, writable: false);
            var response = await store._s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = store.Bucket,
                Key = key,
                UploadId = _uploadId,
                PartNumber = number,
                PartSize = bytes.Count,
                InputStream = body,
                UseChunkEncoding = false,
            }, cancellationToken);
            _parts.Add(new PartETag(number, response.ETag));
        }

        public async Task CompleteAsync(bool ifNoneMatch, CancellationToken cancellationToken)
        {
            await store._s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = store.Bucket,
                Key = key,
                UploadId = _uploadId,
                PartETags = _parts,
                IfNoneMatch = ifNoneMatch ? "*" : null,
            }, cancellationToken);
            _uploadId = null;
        }

        public async Task AbortAsync()
        {
            if (_uploadId is { } uploadId)
            {
                _uploadId = null;
                await store.TryAbortAsync(key, uploadId);
            }
        }
    }
}
