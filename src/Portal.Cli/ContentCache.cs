using System.Security.Cryptography;

namespace Portal.Cli;

/// <summary>
/// Verified blobs kept under <c>&lt;cache&gt;/blobs/ab/&lt;digest&gt;</c>, so fetching a version into a second folder
/// (or again after a clean) copies local bytes instead of downloading them. Entries are copies, not links: editing a
/// fetched file must not change the cache. Every read is hashed again, so a damaged entry is dropped, never used.
/// </summary>
internal sealed class ContentCache(string cacheFolder)
{
    private readonly string _root = Path.Combine(cacheFolder, "blobs");

    private string PathOf(string digest) => Path.Combine(_root, digest[..2], digest);

    /// <summary>Copies the cached bytes of <paramref name="digest"/> to <paramref name="destination"/>; false when absent or damaged.</summary>
    public bool TryCopyTo(string digest, string destination)
    {
        var cached = PathOf(digest);
        if (!File.Exists(cached))
            return false;
        try
        {
            using (var source = new FileStream(cached, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
            using (var target = new FileStream(destination, FileMode.CreateNew, FileAccess.Write))
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var buffer = new byte[1 << 16];
                int read;
                while ((read = source.Read(buffer)) > 0)
                {
                    hash.AppendData(buffer.AsSpan(0, read));
                    target.Write(buffer.AsSpan(0, read));
                }

                if (Convert.ToHexStringLower(hash.GetHashAndReset()) == digest)
                    return true;
            }

            File.Delete(destination);
            File.Delete(cached);
            return false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (File.Exists(destination))
                File.Delete(destination);
            return false;
        }
    }

    /// <summary>Adds a verified file; best effort, since the cache only saves time.</summary>
    public void Add(string digest, string verifiedFile)
    {
        var cached = PathOf(digest);
        if (File.Exists(cached))
            return;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(cached)!);
            var temp = cached + $".{Guid.NewGuid():N}.tmp";
            File.Copy(verifiedFile, temp);
            File.Move(temp, cached, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A full disk or a read-only cache folder must not fail the get.
        }
    }
}
