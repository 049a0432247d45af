using Portal.Client;

namespace Portal.Core.Features.Artifacts.Manifests;

/// <summary>
/// A path that is both a file and, in another entry, a folder (<c>q</c> and <c>q/b</c>): no file system can check
/// out such a version. Found with one pass over the sorted paths: all paths that start with a given path are
/// contiguous in byte order, so only the chain of earlier paths that are prefixes of the current one can ever clash
/// with a later one, and a file always sorts before the paths inside it.
/// </summary>
/// <remarks>
/// A patch appends untouched stored ranges by digest, without reading them. What such a range may hide — a file that
/// is a prefix of the range's last path, or paths inside an earlier file — is recorded as a
/// <see cref="PathConflictSuspect"/> for the caller to check against the stored entries (see <see cref="PatchBuilder"/>).
/// </remarks>
internal sealed class PathConflicts
{
    // Earlier paths that are prefixes of the last path seen, shortest first, each a prefix of the next; RangeDigest is
    // set for a path that may (not must) be a file of that stored range.
    private readonly List<(string Path, string? RangeDigest)> _chain = [];

    public List<PathConflictSuspect> Suspects { get; } = [];

    /// <summary>Adds the next path of the manifest.</summary>
    /// <exception cref="PortalException">400 <c>path_conflict</c>.</exception>
    public void Add(string path)
    {
        Trim(path);
        // Every path left in the chain is a prefix of this one; the check per path is one character.
        foreach (var file in _chain)
        {
            if (path[file.Path.Length] == '/')
                Clash(file, path, insideRange: null);
        }
        _chain.Add((path, null));
    }

    /// <summary>Adds a stored range known only by its first and last paths.</summary>
    public void AddStoredRange(string digest, string firstPath, string lastPath)
    {
        Trim(firstPath);
        foreach (var file in _chain)
        {
            var length = file.Path.Length;
            var lastSharesPrefix = lastPath.Length > length && lastPath.StartsWith(file.Path, StringComparison.Ordinal);
            if (firstPath[length] == '/')
                Clash(file, firstPath, insideRange: null);
            else if (lastSharesPrefix && lastPath[length] == '/')
                Clash(file, lastPath, insideRange: null);
            else if (lastSharesPrefix && firstPath[length] < '/' && lastPath[length] > '/')
                // The range runs across where "file/…" paths would sort: it may hold some.
                Suspects.Add(new PathConflictSuspect(file.Path, file.RangeDigest, file.Path + "/", digest));
        }

        Trim(lastPath);
        // Files of the range that a later path could be inside: prefixes of the last path followed by a character
        // that sorts before '/' ("q" of "q.txt"); whether the range holds them is only known from its entries.
        var shortest = _chain.Count > 0 ? _chain[^1].Path.Length + 1 : 1;
        for (var k = shortest; k < lastPath.Length; k++)
        {
            if (lastPath[k] < '/' && Utf8PathComparer.Instance.Compare(lastPath[..k], firstPath) >= 0)
                _chain.Add((lastPath[..k], digest));
        }
        _chain.Add((lastPath, null));
    }

    private void Trim(string path)
    {
        while (_chain.Count > 0 && !path.StartsWith(_chain[^1].Path, StringComparison.Ordinal))
            _chain.RemoveAt(_chain.Count - 1);
    }

    private void Clash((string Path, string? RangeDigest) file, string inside, string? insideRange)
    {
        if (file.RangeDigest is null && insideRange is null)
            throw Conflict(file.Path, inside);
        Suspects.Add(new PathConflictSuspect(file.Path, file.RangeDigest, inside, insideRange));
    }

    public static PortalException Conflict(string file, string inside) =>
        PortalException.BadRequest(
            ErrorCodes.PathConflict,
            $"Path {ManifestPath.Display(file)} is a file, but {ManifestPath.Display(inside)} needs it to be a folder; no checkout can hold both. Rename one of them.",
            new Dictionary<string, object?> { ["path"] = file, ["conflictingPath"] = inside });
}

/// <summary>
/// A clash that depends on what a stored range holds: <see cref="File"/> (a file of <see cref="FileRange"/>, when set)
/// and a path starting with <see cref="Inside"/> (in <see cref="InsideRange"/> when set, else exactly that path).
/// </summary>
internal sealed record PathConflictSuspect(string File, string? FileRange, string Inside, string? InsideRange)
{
    /// <summary>The conflicting path inside <see cref="File"/>, or null when the ranges' entries clear the suspicion.</summary>
    public string? Confirm(IReadOnlyDictionary<string, IReadOnlyList<ManifestEntry>> rangeEntries)
    {
        if (FileRange is not null && !rangeEntries[FileRange].Any(e => string.Equals(e.Path, File, StringComparison.Ordinal)))
            return null;
        if (InsideRange is null)
            return Inside;
        return rangeEntries[InsideRange].FirstOrDefault(e => e.Path.StartsWith(Inside, StringComparison.Ordinal))?.Path;
    }
}
