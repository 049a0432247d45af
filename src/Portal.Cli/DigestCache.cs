using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Portal.Cli;

/// <summary>
/// Remembers the SHA-256 of files by (full path, size, mtime, inode) in <c>digests.tsv</c> under the cache folder, so
/// putting or fetching an unchanged tree does not read its bytes again. As in git's index, an entry is trusted only
/// when the file's mtime is clearly older than the moment it was hashed: a file written in the same clock tick as
/// the hash could change again without its mtime moving ("racy" entries are re-hashed).
/// </summary>
internal sealed class DigestCache
{
    private static readonly TimeSpan RacyWindow = TimeSpan.FromSeconds(2);

    private readonly string _file;
    private readonly string[] _scope;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(Environment.ProcessorCount, 1 << 16, StringComparer.Ordinal);

    // Lines about files outside the scope, kept as read and written back unchanged.
    private readonly List<string> _otherLines = [];
    private bool _changed;

    private DigestCache(string file, IEnumerable<string> scope)
    {
        _file = file;
        _scope = scope.Select(Path.TrimEndingDirectorySeparator).Distinct(StringComparer.Ordinal).ToArray();
    }

    private sealed record Entry(FileIdentity Identity, long HashedTicks, string Digest);

    /// <summary>
    /// Loads the entries for files in <paramref name="scope"/> (full paths of folders and files); lines about other
    /// files are only carried over. A put or get touches one tree, while the cache holds every tree this machine
    /// has seen: parsing only the tree's own lines halves the load time once a second tree of that size is cached.
    /// </summary>
    public static DigestCache Open(string cacheFolder, IEnumerable<string> scope)
    {
        var cache = new DigestCache(Path.Combine(cacheFolder, "digests.tsv"), scope);
        if (!File.Exists(cache._file))
            return cache;
        try
        {
            // Parsed field by field on spans: only the path and the digest become strings. With 200,000 lines, a
            // Split per line (seven strings and an array) made loading the cache one of the slowest steps of a put.
            using var reader = new StreamReader(cache._file, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16);
            while (reader.ReadLine() is { } line)
            {
                var tab = line.IndexOf('\t', StringComparison.Ordinal);
                if (tab > 0 && !cache.InScope(line.AsSpan(0, tab)))
                    cache._otherLines.Add(line);
                else if (TryParse(line, out var path, out var entry))
                    cache._entries[path] = entry;
            }
        }
        catch (IOException)
        {
            // A cache that cannot be read is an empty cache; the files are simply hashed.
            cache._entries.Clear();
            cache._otherLines.Clear();
        }

        return cache;
    }

    private static bool TryParse(string line, out string path, out Entry entry)
    {
        (path, entry) = (string.Empty, null!);
        var rest = line.AsSpan();
        var tab = rest.IndexOf('\t');
        if (tab <= 0)
            return false;
        var pathEnd = tab;
        rest = rest[(tab + 1)..];
        if (!TryTakeNumber(ref rest, out var size) || !TryTakeNumber(ref rest, out var mtime) || !TryTakeNumber(ref rest, out var inode)
            || !TryTakeNumber(ref rest, out var hashed) || rest.Length != 64)
        {
            return false;
        }

        path = line[..pathEnd];
        entry = new Entry(new FileIdentity((long)size, (long)mtime, inode), (long)hashed, rest.ToString());
        return size <= long.MaxValue && mtime <= long.MaxValue && hashed <= long.MaxValue;
    }

    /// <summary>Reads the digits up to the next tab and moves past it.</summary>
    private static bool TryTakeNumber(ref ReadOnlySpan<char> rest, out ulong value)
    {
        value = 0;
        var tab = rest.IndexOf('\t');
        if (tab <= 0 || !ulong.TryParse(rest[..tab], NumberStyles.None, CultureInfo.InvariantCulture, out value))
            return false;
        rest = rest[(tab + 1)..];
        return true;
    }

    private bool InScope(ReadOnlySpan<char> path)
    {
        foreach (var root in _scope)
        {
            if (path.StartsWith(root, StringComparison.Ordinal)
                && (path.Length == root.Length || path[root.Length] == Path.DirectorySeparatorChar || Path.EndsInDirectorySeparator(root)))
            {
                return true;
            }
        }

        return false;
    }

    public string? TryGet(string fullPath, FileIdentity identity) =>
        _entries.TryGetValue(fullPath, out var e) && e.Identity == identity
            && new DateTime(e.HashedTicks, DateTimeKind.Utc) - new DateTime(identity.ModifiedTicks, DateTimeKind.Utc) > RacyWindow
            ? e.Digest
            : null;

    public void Set(string fullPath, FileIdentity identity, string digest, DateTime hashedAtUtc)
    {
        // Tabs and newlines would break the line format; such files are just not cached.
        if (fullPath.AsSpan().IndexOfAny('\t', '\n', '\r') >= 0 || !InScope(fullPath))
            return;
        _entries[fullPath] = new Entry(identity, hashedAtUtc.Ticks, digest);
        _changed = true;
    }

    /// <summary>Forgets files under <paramref name="folder"/> that are no longer there, so the cache does not grow for ever.</summary>
    public void Prune(string folder, IReadOnlySet<string> present)
    {
        var prefix = folder.EndsWith(Path.DirectorySeparatorChar) ? folder : folder + Path.DirectorySeparatorChar;
        foreach (var key in _entries.Keys)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal) && !present.Contains(key) && _entries.TryRemove(key, out _))
                _changed = true;
        }
    }

    /// <summary>Writes the cache through a temporary file and a rename; a failure only costs re-hashing next time.</summary>
    public void Save()
    {
        if (!_changed)
            return;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
            var temp = _file + $".{Environment.ProcessId}.tmp";
            using (var writer = new StreamWriter(temp, false, new UTF8Encoding(false), 1 << 16))
            {
                foreach (var line in _otherLines)
                {
                    writer.Write(line);
                    writer.Write('\n');
                }

                foreach (var (path, e) in _entries)
                    writer.Write(string.Create(CultureInfo.InvariantCulture, $"{path}\t{e.Identity.Size}\t{e.Identity.ModifiedTicks}\t{e.Identity.Inode}\t{e.HashedTicks}\t{e.Digest}\n"));
            }

            File.Move(temp, _file, overwrite: true);
            _changed = false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort by design: see the summary.
        }
    }
}
