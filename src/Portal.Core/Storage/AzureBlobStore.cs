using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Options;

namespace Portal.Core.Storage;

/// <summary>
/// Blob store in an Azure Blob Storage container, with the file-system layout <c>sha256/ab/cd/&lt;64 hex&gt;</c> as
/// blob names.
/// </summary>
/// <remarks>
/// <para>A put with a known digest stages the body as blocks of <see cref="BlockSize"/> on the blob's final name while
/// hashing, and commits the block list only when the digest matches. Staged blocks are invisible until committed, so
/// readers see no blob or the complete one, and a mismatch or failure leaves nothing readable (Azure discards
/// uncommitted blocks after a week, or when the next put of that blob commits). The commit is conditional on the blob
/// not existing, so of concurrent puts of the same bytes exactly one stores them.</para>
/// <para>A put whose digest is only known at the end stages its blocks on a temp blob under <see cref="TempPrefix"/>,
/// commits it, copies it server-side to the final name (again only if absent) and deletes it;
/// <see cref="CleanupTempFilesAsync"/> removes temp blobs a crash left behind.</para>
/// <para>A body that fits in one block is hashed in memory first and stored with one request, or not at all.</para>
/// </remarks>
public sealed partial class AzureBlobStore : IBlobStore
{
    /// <summary>Temp blobs of puts with an unknown digest are named <c>tmp/&lt;guid&gt;</c>.</summary>
    public const string TempPrefix = "tmp/";

    // 4 MiB blocks: two of them per running put, and 50,000 blocks (Azure's limit) still allow 195 GiB.
    internal const int BlockSize = 4 * 1024 * 1024;

    private readonly BlobContainerClient _container;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _containerLock = new(1, 1);
    private volatile bool _containerReady;

    public AzureBlobStore(BlobContainerClient container, TimeProvider? timeProvider = null)
    {
        _container = container;
        _time = timeProvider ?? TimeProvider.System;
    }

    [Microsoft.Extensions.DependencyInjection.ActivatorUtilitiesConstructor]
    public AzureBlobStore(IOptions<BlobStoreOptions> options, TimeProvider timeProvider)
        : this(CreateContainerClient(options.Value.Azure), timeProvider)
    {
    }

    /// <summary>The container the blobs live in.</summary>
    public BlobContainerClient Container => _container;

    /// <summary>Name of the blob holding <paramref name="digest"/>.</summary>
    public static string GetBlobName(string digest) => BlobStoreErrors.BlobKey(digest);

    public static BlobContainerClient CreateContainerClient(AzureBlobStoreOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
            throw new InvalidOperationException("Storage:Azure:ConnectionString must be set when Storage:Provider is AzureBlob.");
        return new BlobContainerClient(options.ConnectionString, options.Container);
    }

    public Task<BlobPutResult> PutAsync(string expectedDigest, Stream content, CancellationToken cancellationToken = default) =>
        PutAsync(expectedDigest, content, maxSize: null, cancellationToken);

    public async Task<BlobPutResult> PutAsync(string expectedDigest, Stream content, long? maxSize, CancellationToken cancellationToken = default)
    {
        var target = _container.GetBlockBlobClient(GetBlobName(expectedDigest));
        if (await GetCompleteSizeAsync(target, cancellationToken) is { } existingSize)
            return new BlobPutResult(expectedDigest, existingSize, AlreadyExisted: true);
        BlobStoreErrors.RejectKnownOversize(content, maxSize);
        await EnsureContainerAsync(cancellationToken);

        var blocks = new BlockList();
        using var upload = await ChunkedUpload.RunAsync(content, BlockSize, maxSize,
            (number, bytes, ct) => StageAsync(target, blocks, number, bytes, ct), cancellationToken);
        if (upload.Digest != expectedDigest)
            throw BlobStoreErrors.DigestMismatch(expectedDigest, upload.Digest, upload.Size);
        return await CommitAsync(target, upload, blocks, cancellationToken);
    }

    public Task<BlobPutResult> PutAsync(Stream content, CancellationToken cancellationToken = default) =>
        PutAsync(content, maxSize: null, cancellationToken);

    public async Task<BlobPutResult> PutAsync(Stream content, long? maxSize, CancellationToken cancellationToken = default)
    {
        BlobStoreErrors.RejectKnownOversize(content, maxSize);
        await EnsureContainerAsync(cancellationToken);
        var temp = _container.GetBlockBlobClient(TempPrefix + Guid.NewGuid().ToString("N"));
        var blocks = new BlockList();
        using var upload = await ChunkedUpload.RunAsync(content, BlockSize, maxSize,
            (number, bytes, ct) => StageAsync(temp, blocks, number, bytes, ct), cancellationToken);
        var target = _container.GetBlockBlobClient(GetBlobName(upload.Digest));
        if (upload.Parts == 0)
            return await CommitAsync(target, upload, blocks, cancellationToken);
        if (await GetCompleteSizeAsync(target, cancellationToken) is not null)
            return new BlobPutResult(upload.Digest, upload.Size, AlreadyExisted: true);

        try
        {
            await temp.CommitBlockListAsync(blocks.Ids, new CommitBlockListOptions(), cancellationToken);
            var copy = await target.StartCopyFromUriAsync(temp.Uri, new BlobCopyFromUriOptions
            {
                DestinationConditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            }, cancellationToken);
            // Copies within one account finish almost at once; the wait covers the rare asynchronous one.
            await copy.WaitForCompletionAsync(TimeSpan.FromSeconds(1), cancellationToken);
            if (await GetCompleteSizeAsync(target, cancellationToken) != upload.Size)
                throw new InvalidOperationException($"Copying the temp blob {temp.Name} to {target.Name} did not complete.");
            return new BlobPutResult(upload.Digest, upload.Size, AlreadyExisted: false);
        }
        catch (RequestFailedException ex) when (IsAlreadyExists(ex))
        {
            return new BlobPutResult(upload.Digest, upload.Size, AlreadyExisted: true);
        }
        finally
        {
            await TryDeleteAsync(temp);
        }
    }

    public async Task<bool> ExistsAsync(string digest, CancellationToken cancellationToken = default) =>
        await GetSizeAsync(digest, cancellationToken) is not null;

    public Task<long?> GetSizeAsync(string digest, CancellationToken cancellationToken = default) =>
        GetCompleteSizeAsync(_container.GetBlobClient(GetBlobName(digest)), cancellationToken);

    public async Task<Stream> OpenReadAsync(string digest, bool verify, CancellationToken cancellationToken = default)
    {
        var blob = _container.GetBlobClient(GetBlobName(digest));
        if (!verify)
        {
            var length = await GetCompleteSizeAsync(blob, cancellationToken) ?? throw BlobStoreErrors.NotFound(digest);
            return new RangedReadStream(length, async (offset, ct) =>
                (await blob.DownloadStreamingAsync(new BlobDownloadOptions { Range = new HttpRange(offset) }, ct)).Value.Content);
        }
        try
        {
            var download = (await blob.DownloadStreamingAsync(cancellationToken: cancellationToken)).Value;
            return new VerifyingReadStream(download.Content, digest, download.Details.ContentLength);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw BlobStoreErrors.NotFound(digest);
        }
    }

    public async Task<bool> DeleteAsync(string digest, CancellationToken cancellationToken = default)
    {
        var blob = _container.GetBlobClient(GetBlobName(digest));
        try
        {
            return (await blob.DeleteIfExistsAsync(cancellationToken: cancellationToken)).Value;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // The container itself is missing: nothing was ever stored.
            return false;
        }
    }

    public async Task<bool> VerifyAsync(string digest, CancellationToken cancellationToken = default)
    {
        var blob = _container.GetBlobClient(GetBlobName(digest));
        Stream content;
        try
        {
            content = (await blob.DownloadStreamingAsync(cancellationToken: cancellationToken)).Value.Content;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return false;
        }
        await using (content)
            return await HashAsync(content, cancellationToken) == digest;
    }

    public async Task<int> CleanupTempFilesAsync(TimeSpan olderThan, CancellationToken cancellationToken = default)
    {
        var cutoff = _time.GetUtcNow() - olderThan;
        var removed = 0;
        try
        {
            await foreach (var item in _container.GetBlobsAsync(new GetBlobsOptions { Prefix = TempPrefix }, cancellationToken))
            {
                if (item.Properties.LastModified is { } modified && modified < cutoff
                    && (await _container.DeleteBlobIfExistsAsync(item.Name, cancellationToken: cancellationToken)).Value)
                {
                    removed++;
                }
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // No container yet, so no temp blobs.
        }
        return removed;
    }

    internal static async Task<string> HashAsync(Stream content, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(FileSystemBlobStore.BufferSize);
        try
        {
            int read;
            while ((read = await content.ReadAsync(buffer.AsMemory(0, FileSystemBlobStore.BufferSize), cancellationToken)) > 0)
                hash.AppendData(buffer, 0, read);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return ContentDigest.ToHex(hash.GetHashAndReset());
    }

    private static async Task StageAsync(BlockBlobClient blob, BlockList blocks, int number, ArraySegment<byte> bytes, CancellationToken cancellationToken)
    {
        var id = blocks.Add(number);
        using var body = new MemoryStream(bytes.Array!, bytes.Offset, bytes.Count, writable: false);
        await blob.StageBlockAsync(id, body, new BlockBlobStageBlockOptions(), cancellationToken);
    }

    private static async Task<BlobPutResult> CommitAsync(BlockBlobClient target, ChunkedUpload.Result upload, BlockList blocks, CancellationToken cancellationToken)
    {
        var onlyIfAbsent = new BlobRequestConditions { IfNoneMatch = ETag.All };
        try
        {
            if (upload.Parts == 0)
            {
                await target.UploadAsync(new MemoryStream(upload.SingleChunkBuffer!, 0, upload.SingleChunkLength, writable: false),
                    new BlobUploadOptions { Conditions = onlyIfAbsent }, cancellationToken);
            }
            else
            {
                await target.CommitBlockListAsync(blocks.Ids, new CommitBlockListOptions { Conditions = onlyIfAbsent }, cancellationToken);
            }
            return new BlobPutResult(upload.Digest, upload.Size, AlreadyExisted: false);
        }
        catch (RequestFailedException ex) when (IsAlreadyExists(ex))
        {
            return new BlobPutResult(upload.Digest, upload.Size, AlreadyExisted: true);
        }
        catch (RequestFailedException)
        {
            // A concurrent put that committed first discards the blocks this one staged on the same name.
            if (await GetCompleteSizeAsync(target, CancellationToken.None) is null)
                throw;
            return new BlobPutResult(upload.Digest, upload.Size, AlreadyExisted: true);
        }
    }

    /// <summary>The blob's size, or null when it does not exist or is the target of a copy that has not succeeded.</summary>
    private static async Task<long?> GetCompleteSizeAsync(BlobBaseClient blob, CancellationToken cancellationToken)
    {
        try
        {
            var properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            if (!string.IsNullOrEmpty(properties.CopyId) && properties.CopyStatus != CopyStatus.Success)
                return null;
            return properties.ContentLength;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    private static bool IsAlreadyExists(RequestFailedException ex) =>
        ex.Status is 409 or 412 && ex.ErrorCode is "BlobAlreadyExists" or "ConditionNotMet" or null;

    private async Task EnsureContainerAsync(CancellationToken cancellationToken)
    {
        if (_containerReady)
            return;
        await _containerLock.WaitAsync(cancellationToken);
        try
        {
            if (!_containerReady)
            {
                try
                {
                    await _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
                }
                catch (RequestFailedException ex) when (ex.Status == 403)
                {
                    // Credentials scoped to the blobs (a SAS) may not create containers; the container is then the
                    // operator's to create, and a missing one shows up as a failed write.
                }
                _containerReady = true;
            }
        }
        finally
        {
            _containerLock.Release();
        }
    }

    private static async Task TryDeleteAsync(BlobBaseClient blob)
    {
        try
        {
            await blob.DeleteIfExistsAsync();
        }
        catch (RequestFailedException)
        {
            // Left for CleanupTempFilesAsync; the put's own outcome is what the caller needs to see.
        }
    }

    /// <summary>
    /// Block ids of one put. Azure needs all ids of a blob to have the same length, and concurrent puts of one blob
    /// stage on the same name, so an id is this put's random prefix plus the block number, fixed width.
    /// </summary>
    private sealed class BlockList
    {
        private readonly string _prefix = Guid.NewGuid().ToString("N");
        private readonly List<string> _ids = [];

        public IReadOnlyList<string> Ids => _ids;

        public string Add(int number)
        {
            var id = Convert.ToBase64String(Encoding.ASCII.GetBytes($"{_prefix}-{number:D6}"));
            _ids.Add(id);
            return id;
        }
    }
}
