using Microsoft.Extensions.Options;
using Portal.Core.Storage;

namespace Portal.Core.Features.Ingestions;

/// <summary>
/// The per-ingestion staging folders under the storage root. A staged file is named by its row id, never by the path
/// the client gave, so a path can only ever be a manifest path and no upload can name a file-system location.
/// </summary>
public sealed class IngestionStaging
{
    public IngestionStaging(IOptions<IngestionOptions> options, IOptions<BlobStoreOptions> storage)
    {
        var root = string.IsNullOrWhiteSpace(options.Value.StagingRoot)
            ? Path.Combine(storage.Value.Root, "ingestions")
            : options.Value.StagingRoot;
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    public string FolderOf(Guid ingestionId) => Path.Combine(Root, ingestionId.ToString("N"));

    public string FileOf(Guid ingestionId, Guid fileId) => Path.Combine(FolderOf(ingestionId), "files", fileId.ToString("N"));

    /// <summary>The manifest the job writes before it creates the version.</summary>
    public string ManifestOf(Guid ingestionId) => Path.Combine(FolderOf(ingestionId), "manifest.ndjson");

    public string CreateFilesFolder(Guid ingestionId) => Directory.CreateDirectory(Path.Combine(FolderOf(ingestionId), "files")).FullName;

    /// <summary>Removes an ingestion's staging folder; a folder already gone is fine.</summary>
    public void Delete(Guid ingestionId)
    {
        var folder = FolderOf(ingestionId);
        try
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Removed by a concurrent run.
        }
    }
}
