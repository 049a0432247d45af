using Amazon.S3;
using Amazon.S3.Model;
using Portal.Core.Storage;
using Xunit;
using Xunit.Abstractions;

namespace Portal.Core.Tests.Storage;

/// <summary>Runs against s3rver when <c>PORTAL_TEST_S3</c> holds its URL (infra/scripts/start-blob-servers.sh).</summary>
public sealed class S3BlobStoreContractTests(ITestOutputHelper output) : BlobStoreContractTests(output)
{
    private AmazonS3Client? _client;
    private string _bucket = "";

    public static string? ServiceUrl => Environment.GetEnvironmentVariable("PORTAL_TEST_S3");

    /// <summary>The settings for s3rver (its fixed development credentials).</summary>
    public static S3BlobStoreOptions Options(string bucket) => new()
    {
        ServiceUrl = ServiceUrl,
        Bucket = bucket,
        AccessKey = "S3RVER",
        SecretKey = "S3RVER",
        ForcePathStyle = true,
    };

    protected override int ChunkSize => S3BlobStore.PartSize;

    // s3rver ignores If-None-Match, so concurrent puts of one blob each write it (with the same bytes).
    protected override bool ConcurrentPutsStoreOnce => false;

    protected override Task<IBlobStore> CreateStoreAsync()
    {
        Skip.If(string.IsNullOrEmpty(ServiceUrl), "PORTAL_TEST_S3 is not set; infra/scripts/start-blob-servers.sh starts s3rver.");
        // A bucket per test, created by the store on its first write.
        _bucket = "portal-test-" + Guid.NewGuid().ToString("N")[..20];
        _client = S3BlobStore.CreateClient(Options(_bucket));
        return Task.FromResult<IBlobStore>(new S3BlobStore(_client, _bucket, Clock));
    }

    protected override Task DisposeStoreAsync()
    {
        // The bucket stays: s3rver keeps its data in the test servers' temp folder, removed when they stop.
        _client?.Dispose();
        return Task.CompletedTask;
    }

    protected override async Task CorruptAsync(string digest, long offset)
    {
        var key = S3BlobStore.GetObjectKey(digest);
        byte[] bytes;
        using (var response = await _client!.GetObjectAsync(_bucket, key))
        {
            var copy = new MemoryStream();
            await response.ResponseStream.CopyToAsync(copy);
            bytes = copy.ToArray();
        }
        bytes[offset] ^= 0xFF;
        await _client.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = key, InputStream = new MemoryStream(bytes), UseChunkEncoding = false });
    }

    protected override async Task CreateAbandonedTempAsync()
    {
        try
        {
            await _client!.PutBucketAsync(_bucket);
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
        }
        await _client!.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _bucket,
            Key = S3BlobStore.TempPrefix + Guid.NewGuid().ToString("N"),
            InputStream = new MemoryStream([1, 2, 3]),
            UseChunkEncoding = false,
        });
    }

    protected override async Task<int> CountTempObjectsAsync()
    {
        try
        {
            var page = await _client!.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = S3BlobStore.TempPrefix });
            return page.S3Objects?.Count ?? 0;
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode == "NoSuchBucket")
        {
            return 0;
        }
    }
}
