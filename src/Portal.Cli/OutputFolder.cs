using System.Collections.Concurrent;
using System.Security.Cryptography;
using Portal.Client.Manifests;

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

    /// <summary>
    /// A fresh temporary file name in <paramref name="folder"/>. Short whatever the target's name: a name of 255
    /// bytes (the usual limit) leaves no room for a prefix or suffix, so the temporary name cannot be derived from it.
    /// </summary>
    public static string TempPath(string folder) =>
        Path.Combine(folder, $"{TempPrefix}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}{TempSuffix}");

    public const string TempPrefix = ".portal-";
    public const string TempSuffix = ".tmp";

    /// <summary>
    /// Whether the file system the folder is (or will be) on treats names that differ only in case as one, found by
    /// creating a probe file in the folder, or in the nearest folder above it that exists (where the folder will be
    /// created), and looking for it under an upper-case name. Asking the file system is the only reliable way: macOS,
    /// Windows, a vfat stick or an ext4 folder with casefolding all differ from their neighbours.
    /// </summary>
    public bool IsCaseInsensitive()
    {
        var existing = Root;
        while (!Directory.Exists(existing))
            existing = Path.GetDirectoryName(existing) ?? throw new CliException($"no folder of {Root} exists.");
        var probe = TempPath(existing);
        try
        {
            using (File.Create(probe))
            {
            }

            return File.Exists(Path.Combine(existing, Path.GetFileName(probe).ToUpperInvariant()));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Cannot write there: the downloads will fail and say so; assume the common case meanwhile.
            return false;
        }
        finally
        {
            File.Delete(probe);
        }
    }

    /// <summary>
    /// Groups of paths that a case-insensitive file system would store as one file or folder (<c>README</c> and
    /// <c>readme</c>, or <c>Data/a</c> and <c>data/b</c>, whose folders merge): each as "a", "b" …, ordered.
    /// </summary>
    public static List<string> CaseCollisions(IEnumerable<string> manifestPaths)
    {
        // Every path and every folder above it, by its upper-case form; a folder is kept with a trailing '/'.
        var spellings = new Dictionary<string, SortedSet<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var path in manifestPaths)
        {
            Note(path);
            for (var slash = path.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = path.IndexOf('/', slash + 1))
                Note(path[..(slash + 1)]);
        }

        return spellings.Values
            .Where(names => names.Count > 1)
            .Select(names => string.Join(" and ", names.Select(n => ManifestPathRules.Display(n))))
            .Order(StringComparer.Ordinal)
            .ToList();

        void Note(string name)
        {
            // A file "a" and a folder "A/" collide too: compare without the slash, keep it for the message.
            var key = name.TrimEnd('/');
            if (!spellings.TryGetValue(key, out var names))
                spellings[key] = names = new SortedSet<string>(StringComparer.Ordinal);
            names.Add(name);
        }
    }

    /// <summary>
    /// Files (and links, which are not followed) under the folder whose paths are not in <paramref name="keep"/>:
    /// what <c>--delete</c> removes. Folders reached through a link are never entered.
    /// </summary>
    public List<string> FindStrays(IReadOnlySet<string> keep)
    {
        var strays = new List<string>();
        if (!Directory.Exists(Root))
            return strays;
        var options = new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = false, AttributesToSkip = 0 };
        var pending = new Stack<string>();
        pending.Push(Root);
        while (pending.TryPop(out var folder))
        {
            foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos("*", options))
            {
                var isLink = (entry.Attributes & FileAttributes.ReparsePoint) != 0;
                if (entry is DirectoryInfo && !isLink)
                {
                    pending.Push(entry.FullName);
                    continue;
                }

                var relative = entry.FullName[_rootWithSeparator.Length..];
                if (Path.DirectorySeparatorChar != '/')
                    relative = relative.Replace(Path.DirectorySeparatorChar, '/');
                if (!keep.Contains(relative))
                    strays.Add(entry.FullName);
            }
        }

        strays.Sort(StringComparer.Ordinal);
        return strays;
    }

    /// <summary>
    /// The strays that stand where the version needs something else: a file (or link) where it needs a folder, or
    /// anything inside a folder where it needs a file. <c>--delete</c> removes these before downloading, so the version
    /// can be written at all.
    /// </summary>
    public List<string> InTheWay(IReadOnlyList<string> strays, IReadOnlySet<string> held, IEqualityComparer<string> comparer)
    {
        var folders = new HashSet<string>(comparer);
        foreach (var path in held)
        {
            for (var slash = path.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = path.IndexOf('/', slash + 1))
                folders.Add(path[..slash]);
        }

        return strays.Where(stray =>
        {
            var relative = stray[_rootWithSeparator.Length..].Replace(Path.DirectorySeparatorChar, '/');
            if (folders.Contains(relative))
                return true;
            for (var slash = relative.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = relative.IndexOf('/', slash + 1))
            {
                if (held.Contains(relative[..slash]))
                    return true;
            }

            return false;
        }).ToList();
    }

    /// <summary>
    /// Deletes the strays <see cref="FindStrays"/> found (a link is removed, never what it points at), then every
    /// folder that deleting them left empty, up to but not including the root. Returns the files and folders removed.
    /// </summary>
    public (int Files, int Folders) DeleteStrays(IReadOnlyList<string> strays)
    {
        var emptied = new HashSet<string>(StringComparer.Ordinal);
        var files = 0;
        foreach (var stray in strays)
        {
            if (!stray.StartsWith(_rootWithSeparator, StringComparison.Ordinal))
                throw new InvalidOperationException($"{stray} is not inside {Root}.");
            File.Delete(stray);
            files++;
            emptied.Add(Path.GetDirectoryName(stray)!);
        }

        var folders = 0;
        foreach (var start in emptied.OrderByDescending(f => f.Length))
        {
            for (var folder = start; folder.Length >= _rootWithSeparator.Length && Directory.Exists(folder); folder = Path.GetDirectoryName(folder)!)
            {
                if (Directory.EnumerateFileSystemEntries(folder).Any())
                    break;
                Directory.Delete(folder);
                folders++;
            }
        }

        return (files, folders);
    }

    private CliException LinkRefused(string manifestPath, string link) =>
        new($"refusing to write \"{manifestPath}\": {link} is a symbolic link, which could lead outside {Root}.");
}
