using System.Text;
using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace Portal.Core.Storage;

/// <summary>
/// Parts of a large blob as uncommitted blocks of a temp blob (<c>tmp/uploads/&lt;guid&gt;</c>); completing commits
/// them in order, reads the result back to hash it, and copies it to the blob's name only when the hash is the digest.
/// </summary>
public sealed partial class AzureBlobStore : IPartUploadStore
{
    public const string UploadsPrefix = TempPrefix + "uploads/";

    public async Task<string> StartPartsAsync(CancellationToken cancellationToken = default)
    {
        await EnsureContainerAsync(cancellationToken);
        return UploadsPrefix + Guid.NewGuid().ToString("N");
    }

    public async Task<string?> PutPartAsync(string handle, int number, long offset, string path, CancellationToken cancellationToken = default)
    {
        var temp = _container.GetBlockBlobClient(Checked(handle));
        try
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            // Staging a block of the same id again replaces it: a part sent twice is stored once.
            await temp.StageBlockAsync(BlockId(number), file, new BlockBlobStageBlockOptions(), cancellationToken);
            return null;
        }
        finally
        {
            File.Delete(path);
        }
    }

    public async Task<BlobPutResult> CompletePartsAsync(string handle, string digest, long size, IReadOnlyList<StoredPart> parts, CancellationToken cancellationToken = default)
    {
        var temp = _container.GetBlockBlobClient(Checked(handle));
        var target = _container.GetBlockBlobClient(GetBlobName(digest));
        // The temp blob goes when the outcome is known (stored, or not the digest's bytes); after a fault its blocks
        // stay, so completing can be asked again.
        var settled = false;
        try
        {
            await temp.CommitBlockListAsync([.. parts.OrderBy(p => p.Number).Select(p => BlockId(p.Number))], new CommitBlockListOptions(), cancellationToken);

            // The parts were verified one by one; the whole is what the digest names, so it is read back and hashed,
            // also when the store holds the blob already: completing is what proves the uploader has the bytes.
            string actual;
            long length;
            var download = await temp.DownloadStreamingAsync(cancellationToken: cancellationToken);
            using (download.Value)
            {
                length = download.Value.Details.ContentLength;
                actual = await HashAsync(download.Value.Content, cancellationToken);
            }
            if (actual != digest || length != size)
            {
                settled = true;
                throw BlobStoreErrors.DigestMismatch(digest, actual, length);
            }
            if (await GetCompleteSizeAsync(target, cancellationToken) is { } existing)
            {
                settled = true;
                return new BlobPutResult(digest, existing, AlreadyExisted: true);
            }

            try
            {
                var copy = await target.StartCopyFromUriAsync(temp.Uri, new BlobCopyFromUriOptions
                {
                    DestinationConditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                }, cancellationToken);
                await copy.WaitForCompletionAsync(TimeSpan.FromSeconds(1), cancellationToken);
            }
            catch (RequestFailedException ex) when (IsAlreadyExists(ex))
            {
                settled = true;
                return new BlobPutResult(digest, size, AlreadyExisted: true);
            }
            if (await GetCompleteSizeAsync(target, cancellationToken) != size)
                throw new InvalidOperationException($"Copying the temp blob {temp.Name} to {target.Name} did not complete.");
            settled = true;
            return new BlobPutResult(digest, size, AlreadyExisted: false);
        }
        finally
        {
            if (settled)
                await TryDeleteAsync(temp);
        }
    }

    public async Task AbortPartsAsync(string handle, CancellationToken cancellationToken = default)
    {
        var temp = _container.GetBlockBlobClient(Checked(handle));
        // Uncommitted blocks of a blob that never commits are discarded by the service after a week; deleting the
        // blob drops them now when it was committed, and is harmless when it was not.
        await TryDeleteAsync(temp);
    }

    public Task<Uri?> PartUploadUrlAsync(string handle, int number, TimeSpan validFor)
    {
        var temp = _container.GetBlockBlobClient(Checked(handle));
        if (!temp.CanGenerateSasUri)
            return Task.FromResult<Uri?>(null);
        var sas = temp.GenerateSasUri(Azure.Storage.Sas.BlobSasPermissions.Write, _time.GetUtcNow() + validFor);
        var url = new UriBuilder(sas);
        url.Query = url.Query.TrimStart('?') + "&comp=block&blockid=" + Uri.EscapeDataString(BlockId(number));
        return Task.FromResult<Uri?>(url.Uri);
    }

    public async Task<IReadOnlyList<StoredPart>?> ListPartsAsync(string handle, CancellationToken cancellationToken = default)
    {
        var temp = _container.GetBlockBlobClient(Checked(handle));
        try
        {
            var list = await temp.GetBlockListAsync(BlockListTypes.All, cancellationToken: cancellationToken);
            return [.. list.Value.UncommittedBlocks.Concat(list.Value.CommittedBlocks)
                .Select(b => (Number: PartNumberOf(b.Name), b.SizeLong))
                .Where(b => b.Number > 0)
                .Select(b => new StoredPart(b.Number, b.SizeLong, null))];
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // No block staged yet.
            return [];
        }
    }

    private static int PartNumberOf(string blockId)
    {
        try
        {
            var name = Encoding.ASCII.GetString(Convert.FromBase64String(blockId));
            return name.StartsWith("part-", StringComparison.Ordinal) && int.TryParse(name.AsSpan(5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) ? number : 0;
        }
        catch (FormatException)
        {
            return 0;
        }
    }

    /// <summary>Block ids must have one length per blob: the part number, fixed width.</summary>
    private static string BlockId(int number) => Convert.ToBase64String(Encoding.ASCII.GetBytes($"part-{number:D6}"));

    private static string Checked(string handle) =>
        handle.StartsWith(UploadsPrefix, StringComparison.Ordinal) && Guid.TryParseExact(handle[UploadsPrefix.Length..], "N", out _)
            ? handle
            : throw new ArgumentException("Not an upload handle of this store.", nameof(handle));
}
