namespace Portal.Core.Storage;

/// <summary>Configuration section <c>Storage</c>.</summary>
public sealed class BlobStoreOptions
{
    public const string Section = "Storage";

    /// <summary>Folder of the file-system blob store; relative paths resolve against the working directory.</summary>
    public string Root { get; set; } = "data/blobs";

    /// <summary>Largest blob one <c>PUT /api/v1/blobs/sha256/{digest}</c> accepts; bigger bodies get 413.</summary>
    public long MaxBlobBytes { get; set; } = 50L * 1024 * 1024 * 1024;

    /// <summary>Largest NDJSON manifest body (a million files is roughly 200 MB of NDJSON, less gzipped).</summary>
    public long MaxManifestBytes { get; set; } = 4L * 1024 * 1024 * 1024;
}
