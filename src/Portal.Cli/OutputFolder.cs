using System.Collections.Concurrent;

namespace Portal.Cli;

/// <summary>
/// The folder a get writes into, and the guard that no manifest path leads outside it: not through <c>..</c>, an
/// absolute path, or a symbolic link (file or folder) already inside it. Each folder on the way is looked at once
/// per get rather than once per file below it (100,000 files in 100 folders cost 100 folder checks, not 200,000),
/// and the one look at the file itself is handed on, so the up-to-date check needs no second one.
/// </summary>
internal sealed class OutputFolder
{
    private readonly string _rootWithSeparator;

    // Folders found to be no link, each below folders found the same; the value says whether the folder exists.
    private readonly ConcurrentDictionary<string, bool> _checkedFolders = new(StringComparer.Ordinal);

    public OutputFolder(string root)
    {
        Root = root;
        _rootWithSeparator = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
    }

    public string Root { get; }

    /// <summary>
    /// The local path for <paramref name="manifestPath"/> and the file already there (null when there is none), or
    /// a <see cref="CliException"/> when the path would lead outside the folder.
    /// </summary>
    public (string Target, FileInfo? Existing) Resolve(string manifestPath)
    {
        if (!IsPlainRelative(manifestPath))
            throw new CliException($"refusing to write \"{manifestPath}\": it is not a plain relative path inside {Root}.");

        // Plain segments only (no "", "." or ".."), so joining needs no normalising; the check below stays as a guard.
        var target = _rootWithSeparator + (Path.DirectorySeparatorChar == '/' ? manifestPath : manifestPath.Replace('/', Path.DirectorySeparatorChar));
        if (!target.StartsWith(_rootWithSeparator, StringComparison.Ordinal) || Path.GetFullPath(target) != target)
            throw new CliException($"refusing to write \"{manifestPath}\": it resolves outside {Root}.");

        var known = _checkedFolders.GetAlternateLookup<ReadOnlySpan<char>>();
        for (var end = target.IndexOf(Path.DirectorySeparatorChar, _rootWithSeparator.Length); end >= 0; end = target.IndexOf(Path.DirectorySeparatorChar, end + 1))
        {
            var folder = target.AsSpan(0, end);
            if (!known.TryGetValue(folder, out var exists))
                exists = CheckFolder(folder.ToString(), manifestPath);
            if (!exists)
                return (target, null); // nothing below a missing folder can be a link
        }

        var file = new FileInfo(target);
        if (file.Exists)
        {
            // One lstat answers both questions: is it a link, and (kept for later) its size and time.
            if ((file.Attributes & FileAttributes.ReparsePoint) != 0)
                throw LinkRefused(manifestPath, target);
            return (target, file);
        }

        // Nothing there, a folder, or a link to a folder or to nowhere.
        if (file.LinkTarget is not null)
            throw LinkRefused(manifestPath, target);
        return (target, null);
    }

    private static bool IsPlainRelative(string manifestPath)
    {
        if (manifestPath.Length == 0 || Path.IsPathRooted(manifestPath) || manifestPath.AsSpan().IndexOfAny('\\', '\0') >= 0)
            return false;
        foreach (var range in manifestPath.AsSpan().Split('/'))
        {
            var segment = manifestPath.AsSpan()[range];
            if (segment is "" or "." or "..")
                return false;
        }

        return true;
    }

    private bool CheckFolder(string folder, string manifestPath)
    {
        var info = new DirectoryInfo(folder);
        bool exists;
        if (info.Exists)
        {
            if ((info.Attributes & FileAttributes.ReparsePoint) != 0)
                throw LinkRefused(manifestPath, folder);
            exists = true;
        }
        else
        {
            // Missing, a file where the manifest needs a folder (the write reports that), or a link to nowhere.
            if (info.LinkTarget is not null)
                throw LinkRefused(manifestPath, folder);
            exists = false;
        }

        _checkedFolders[folder] = exists;
        return exists;
    }

    private CliException LinkRefused(string manifestPath, string link) =>
        new($"refusing to write \"{manifestPath}\": {link} is a symbolic link, which could lead outside {Root}.");
}
