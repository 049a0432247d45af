namespace Portal.Core.Storage;

/// <summary>Configuration section <c>Storage</c>.</summary>
public sealed class BlobStoreOptions
{
    public const string Section = "Storage";

    /// <summary>Folder of the file-system blob store; relative paths resolve against the working directory.</summary>
    public string Root { get; set; } = "data/blobs";
}
