using static Portal.Core.ValidatedOptions;
namespace Portal.Core.Storage;

/// <summary>Configuration section <c>Storage</c>.</summary>
public sealed class BlobStoreOptions : IValidatedOptions
{
    public const string Section = "Storage";

    /// <summary>Where blobs live: <c>FileSystem</c> (under <see cref="Root"/>), <c>AzureBlob</c> or <c>S3</c>.</summary>
    public BlobStoreProvider Provider { get; set; } = BlobStoreProvider.FileSystem;

    /// <summary>Folder of the file-system blob store; relative paths resolve against the working directory.</summary>
    public string Root { get; set; } = "data/blobs";

    /// <summary>Largest blob one <c>PUT /api/v1/blobs/sha256/{digest}</c> accepts; bigger bodies get 413.</summary>
    public long MaxBlobBytes { get; set; } = 50L * 1024 * 1024 * 1024;

    /// <summary>
    /// Part size of upload sessions (<c>/api/v1/blobs/uploads</c>), for blobs sent in parts; at least 5 MiB (S3's
    /// smallest part). A blob needing more than 10,000 parts gets larger parts.
    /// </summary>
    public long UploadPartBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// An upload session no part arrived for during this long is removed with its parts by the pending-expiry job.
    /// Keep it below <c>Maintenance:TempFileAge</c>, which removes the spooled parts of unfinished requests.
    /// </summary>
    public TimeSpan UploadSessionLifetime { get; set; } = TimeSpan.FromHours(20);

    /// <summary>
    /// With S3 or Azure Blob, upload sessions hand out presigned part URLs (S3) or SAS block URLs (Azure), so the
    /// bytes of large blobs go straight to the store instead of through a web replica. The portal cannot see such
    /// parts: it verifies the whole when the session completes (by reading the assembled object back). Clients must
    /// reach the store's address.
    /// </summary>
    public bool DirectPartUploads { get; set; }

    /// <summary>Largest NDJSON manifest body (a million files is roughly 200 MB of NDJSON, less gzipped).</summary>
    public long MaxManifestBytes { get; set; } = 4L * 1024 * 1024 * 1024;

    /// <summary>
    /// A gzip manifest may inflate to at most this many times the compressed bytes read so far (plus 1 MiB): real
    /// manifests, full of hex digests, compress 3 to 10 times; a bomb of blank lines compresses a thousand times.
    /// </summary>
    public int MaxManifestInflationRatio { get; set; } = 100;

    /// <summary>Largest manifest after decompression, whatever the ratio.</summary>
    public long MaxInflatedManifestBytes { get; set; } = 16L * 1024 * 1024 * 1024;

    /// <summary>Blank lines a manifest may hold in all; each costs parsing work and says nothing.</summary>
    public int MaxBlankManifestLines { get; set; } = 10_000;

    /// <summary>The manifest limits above, for <see cref="Features.Artifacts.Manifests.ManifestNdjsonReader"/>.</summary>
    public Features.Artifacts.Manifests.ManifestReadLimits ManifestLimits =>
        new(MaxManifestInflationRatio, MaxInflatedManifestBytes, MaxBlankManifestLines);

    /// <summary>Settings of the Azure Blob store (<c>Storage:Azure</c>), used when <see cref="Provider"/> is AzureBlob.</summary>
    public AzureBlobStoreOptions Azure { get; set; } = new();

    /// <summary>Settings of the S3-compatible store (<c>Storage:S3</c>), used when <see cref="Provider"/> is S3.</summary>
    public S3BlobStoreOptions S3 { get; set; } = new();

    public IEnumerable<string> Problems()
    {
        var problems = new List<string>();
        if (Provider == BlobStoreProvider.FileSystem)
            problems.AddRange(Required("Storage:Root", Root));
        problems.AddRange(Positive("Storage:MaxBlobBytes", MaxBlobBytes));
        if (UploadPartBytes is < 5L * 1024 * 1024 or > 5L * 1024 * 1024 * 1024)
            problems.Add($"Storage:UploadPartBytes must be between 5 MiB and 5 GiB, the part sizes S3 accepts (it is {UploadPartBytes:N0}).");
        problems.AddRange(Positive("Storage:UploadSessionLifetime", UploadSessionLifetime));
        problems.AddRange(Positive("Storage:MaxManifestBytes", MaxManifestBytes));
        problems.AddRange(AtLeast("Storage:MaxManifestInflationRatio", MaxManifestInflationRatio, 1));
        problems.AddRange(Positive("Storage:MaxInflatedManifestBytes", MaxInflatedManifestBytes));
        problems.AddRange(AtLeast("Storage:MaxBlankManifestLines", MaxBlankManifestLines, 0));
        if (Provider == BlobStoreProvider.AzureBlob)
        {
            problems.AddRange(Required("Storage:Azure:ConnectionString (needed when Storage:Provider is AzureBlob)", Azure.ConnectionString));
            problems.AddRange(Required("Storage:Azure:Container", Azure.Container));
        }
        if (Provider == BlobStoreProvider.S3)
        {
            problems.AddRange(Required("Storage:S3:Bucket", S3.Bucket));
            problems.AddRange(HttpUrl("Storage:S3:ServiceUrl", S3.ServiceUrl));
            if (string.IsNullOrEmpty(S3.AccessKey) != string.IsNullOrEmpty(S3.SecretKey))
                problems.Add("Storage:S3:AccessKey and Storage:S3:SecretKey go together: set both, or neither to use the AWS default credentials.");
        }
        return problems;
    }
}

public enum BlobStoreProvider
{
    FileSystem,
    AzureBlob,
    S3,
}

/// <summary>Configuration section <c>Storage:Azure</c>.</summary>
public sealed class AzureBlobStoreOptions
{
    /// <summary>A storage account connection string (account key or SAS).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The container holding the blobs; created on first use when missing.</summary>
    public string Container { get; set; } = "portal-blobs";
}

/// <summary>Configuration section <c>Storage:S3</c>.</summary>
public sealed class S3BlobStoreOptions
{
    /// <summary>Endpoint of an S3-compatible service (MinIO, Ceph …); empty for AWS itself, addressed by <see cref="Region"/>.</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>The bucket holding the blobs; created on first use when missing.</summary>
    public string Bucket { get; set; } = "portal-blobs";

    /// <summary>Access key; with no keys the AWS SDK's default credential chain applies (environment, instance role …).</summary>
    public string? AccessKey { get; set; }

    public string? SecretKey { get; set; }

    public string Region { get; set; } = "us-east-1";

    /// <summary>Path-style URLs (<c>host/bucket/key</c>), which most S3-compatible servers need.</summary>
    public bool ForcePathStyle { get; set; }
}
