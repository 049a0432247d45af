namespace Portal.Core.Features.Artifacts.Manifests;

/// <summary>
/// The folders that directly hold the files of one range (<c>""</c> for the root, otherwise with a trailing
/// <c>/</c>), stored with the range. A folder listing reads the child folders of a range from it instead of seeking
/// through the range's entries once per child folder: listing a folder of 1,000 subfolders in a 1,000,000-file
/// version then reads no entries at all. Ranges whose files are spread over too many folders get no summary
/// (<see cref="Summarise"/> returns null) and are listed from their entries, as are ranges stored before summaries
/// existed.
/// </summary>
public static class RangeFolders
{
    /// <summary>At most this many folders are summarised; a range of files spread wider is listed from its entries.</summary>
    public const int MaxFolders = 64;

    /// <summary>The summary fits in a bounded column on every provider.</summary>
    public const int MaxLength = 4000;

    /// <summary>The distinct folders of <paramref name="entries"/>, one per line in path order, or null when there are too many.</summary>
    public static string? Summarise(IReadOnlyList<ManifestEntry> entries)
    {
        var folders = new SortedSet<string>(Utf8PathComparer.Instance);
        string? previous = null;
        foreach (var entry in entries)
        {
            var folder = FolderOf(entry.Path);
            // Entries are sorted, so files of one folder mostly come together: skip the set for them.
            if (folder == previous)
                continue;
            previous = folder;
            if (folders.Add(folder) && folders.Count > MaxFolders)
                return null;
        }

        var summary = string.Join('\n', folders);
        return summary.Length > MaxLength ? null : summary;
    }

    /// <summary>What a summary says about <paramref name="prefix"/>: whether files sit directly in it, and its child folders, in path order.</summary>
    public static (bool HasFiles, List<string> Children) Within(string summary, string prefix)
    {
        var hasFiles = false;
        var children = new List<string>();
        foreach (var folder in summary.Split('\n'))
        {
            if (!folder.StartsWith(prefix, StringComparison.Ordinal))
                continue;
            if (folder.Length == prefix.Length)
            {
                hasFiles = true;
                continue;
            }

            var child = folder[..(folder.IndexOf('/', prefix.Length) + 1)];
            if (children.Count == 0 || children[^1] != child)
                children.Add(child);
        }

        return (hasFiles, children);
    }

    private static string FolderOf(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? "" : path[..(slash + 1)];
    }
}
