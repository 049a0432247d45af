namespace Portal.Cli;

/// <summary>What <c>put</c> does with a symbolic link it meets inside a folder (<c>--links</c>).</summary>
internal enum LinkPolicy
{
    /// <summary>Upload what the link points at, file or folder, under the link's own path.</summary>
    Follow,

    /// <summary>Leave links out of the version.</summary>
    Skip,

    /// <summary>Refuse the whole put when a folder holds any link.</summary>
    Error,
}

/// <summary>A link <c>put</c> followed but could not use: the local path and why, for the warning and <c>--strict</c>.</summary>
internal sealed record SkippedEntry(string LocalPath, string Reason);

/// <summary>
/// The files a <c>put</c> uploads: each with its manifest path ('/'-separated, relative to the folder it was given
/// in, or the file name for a file given by itself) and the file on disk whose bytes and size the entry records —
/// for a followed link, the file it leads to, so the digest and the size always describe the same bytes.
/// </summary>
internal sealed record LocalTree(IReadOnlyList<LocalFile> Files, IReadOnlyList<SkippedEntry> Skipped, int LinksLeftOut)
{
    /// <summary>
    /// Walks <paramref name="paths"/>. Links are handled by <paramref name="links"/>; a path given on the command
    /// line is always followed (naming it is asking for it). Following a link to nowhere, a chain of links that
    /// loops, or a link to a folder that contains it (found by device and inode, whatever path leads there) skips
    /// that link and records why; nothing else is skipped. The same folder reached twice along different links that
    /// do not loop is uploaded under both paths, as <c>cp -rL</c> would copy it.
    /// </summary>
    public static LocalTree Collect(IReadOnlyList<string> paths, string workingDirectory, LinkPolicy links, bool allowEmpty = false)
    {
        var files = new List<LocalFile>();
        var skipped = new List<SkippedEntry>();
        var refusedLinks = new List<string>();
        var leftOut = 0;
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var given in paths)
        {
            var full = Path.GetFullPath(given, workingDirectory);
            if (Directory.Exists(full))
            {
                Walk(full, given);
            }
            else if (File.Exists(full))
            {
                var target = IsLink(new FileInfo(full)) ? File.ResolveLinkTarget(full, returnFinalTarget: true)!.FullName : full;
                Add(Path.GetFileName(full), new FileInfo(target), given);
            }
            else
            {
                throw new CliException(new FileInfo(full).LinkTarget is { } to
                    ? $"{given} is a symbolic link to {to}, which does not exist."
                    : $"no such file or folder: {given}");
            }
        }

        if (refusedLinks.Count > 0)
        {
            throw new CliException(PathList.Format(
                $"{refusedLinks.Count} symbolic {(refusedLinks.Count == 1 ? "link" : "links")} found, and --links error refuses them "
                + "(--links follow uploads what they point at, --links skip leaves them out):", refusedLinks.Order(StringComparer.Ordinal).ToList()));
        }

        if (files.Count == 0 && !allowEmpty)
        {
            throw new CliException(paths.Count == 0 ? "nothing to upload: give folders, files or --ref URIs."
                : skipped.Count + leftOut > 0 ? "nothing to upload: the given folders hold only links that were skipped."
                : "nothing to upload: the given folders are empty.");
        }

        return new LocalTree(files, skipped, leftOut);

        void Walk(string root, string given)
        {
            // Depth-first with an explicit stack (a deep tree must not overflow the call stack); each folder carries
            // the chain of folders above it, which is what a link must not lead back into.
            var pending = new Stack<(string Disk, string Prefix, FolderChain Chain)>();
            pending.Push((root, "", new FolderChain(FolderIdentity.Of(root), null)));
            var options = new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = false, AttributesToSkip = 0 };
            while (pending.TryPop(out var folder))
            {
                foreach (var entry in new DirectoryInfo(folder.Disk).EnumerateFileSystemInfos("*", options))
                {
                    var manifestPath = folder.Prefix + entry.Name;
                    if (!IsLink(entry))
                    {
                        if (entry is DirectoryInfo)
                            Enter(entry.FullName, manifestPath, folder.Chain);
                        else
                            Add(manifestPath, (FileInfo)entry, given);
                        continue;
                    }

                    switch (links)
                    {
                        case LinkPolicy.Skip:
                            leftOut++;
                            continue;
                        case LinkPolicy.Error:
                            refusedLinks.Add(entry.FullName);
                            continue;
                    }

                    FileSystemInfo? target;
                    try
                    {
                        target = entry.ResolveLinkTarget(returnFinalTarget: true);
                    }
                    catch (IOException)
                    {
                        skipped.Add(new SkippedEntry(entry.FullName, $"a symbolic link to {entry.LinkTarget}, which leads round in a loop of links"));
                        continue;
                    }

                    if (target is not null && Directory.Exists(target.FullName))
                        Enter(target.FullName, manifestPath, folder.Chain, entry);
                    else if (target is not null && File.Exists(target.FullName))
                        Add(manifestPath, new FileInfo(target.FullName), given);
                    else
                        skipped.Add(new SkippedEntry(entry.FullName, $"a symbolic link to {entry.LinkTarget}, which does not exist"));
                }
            }

            void Enter(string disk, string manifestPath, FolderChain above, FileSystemInfo? link = null)
            {
                var identity = FolderIdentity.Of(disk);
                if (above.Contains(identity))
                {
                    // Only a link can lead back up (or a bind mount, which is reported the same way).
                    skipped.Add(new SkippedEntry(link?.FullName ?? disk, link is null
                        ? $"reached as {manifestPath}, a folder that is also one of the folders above it (a loop)"
                        : $"a symbolic link to {link.LinkTarget}, a folder that contains the link (a loop)"));
                    return;
                }

                pending.Push((disk, manifestPath + "/", new FolderChain(identity, above)));
            }
        }

        void Add(string manifestPath, FileInfo file, string source)
        {
            if (!seen.TryAdd(manifestPath, source))
                throw CliException.Usage($"{manifestPath} is in both {seen[manifestPath]} and {source}; a version cannot hold one path twice.");
            files.Add(new LocalFile(manifestPath, file));
        }
    }

    // A link as the directory walk saw it (lstat): a folder link has both Directory and ReparsePoint.
    private static bool IsLink(FileSystemInfo entry) => (entry.Attributes & FileAttributes.ReparsePoint) != 0;

    /// <summary>The folders from the one being walked up to the given root, as a linked list shared by siblings.</summary>
    private sealed record FolderChain(FolderIdentity Identity, FolderChain? Above)
    {
        public bool Contains(FolderIdentity identity)
        {
            for (var link = this; link is not null; link = link.Above)
            {
                if (link.Identity == identity)
                    return true;
            }

            return false;
        }
    }
}
