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
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private bool _changed;

    private DigestCache(string file)
    {
        _file = file;
    }

    private sealed record Entry(FileIdentity Identity, long HashedTicks, string Digest);

    public static DigestCache Open(string cacheFolder)
    {
        var cache = new DigestCache(Path.Combine(cacheFolder, "digests.tsv"));
        if (!File.Exists(cache._file))
            return cache;
        try
        {
            foreach (var line in File.ReadLines(cache._file))
            {
                var f = line.Split('\t');
                if (f.Length == 6
                    && long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size)
                    && long.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var mtime)
                    && ulong.TryParse(f[3], NumberStyles.None, CultureInfo.InvariantCulture, out var inode)
                    && long.TryParse(f[4], NumberStyles.None, CultureInfo.InvariantCulture, out var hashed)
                    && f[5].Length == 64)
                {
                    cache._entries[f[0]] = new Entry(new FileIdentity(size, mtime, inode), hashed, f[5]);
                }
            }
        }
        catch (IOException)
        {
            // A cache that cannot be read is an empty cache; the files are simply hashed.
            cache._entries.Clear();
        }

        return cache;
    }

    public string? TryGet(string fullPath, FileIdentity identity) =>
        _entries.TryGetValue(fullPath, out var e) && e.Identity == identity
            && new DateTime(e.HashedTicks, DateTimeKind.Utc) - new DateTime(identity.ModifiedTicks, DateTimeKind.Utc) > RacyWindow
            ? e.Digest
            : null;

    public void Set(string fullPath, FileIdentity identity, string digest, DateTime hashedAtUtc)
    {
        // Tabs and newlines would break the line format; such files are just not cached.
        if (fullPath.AsSpan().IndexOfAny('\t', '\n', '\r') >= 0)
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
