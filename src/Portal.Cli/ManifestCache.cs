using System.Globalization;
using System.Text;
using Portal.Client.Models;

namespace Portal.Cli;

/// <summary>
/// The manifests this machine last put, by manifest digest, in <c>manifests/&lt;digest&gt;.tsv</c> under the cache
/// folder. When the artifact's latest version is one of them, the next put sends only what changed (the portal's
/// base + patch), so a 10-file change to a 100,000-file tree costs 10 entries on the wire, not 100,000.
/// </summary>
internal sealed class ManifestCache(string cacheFolder)
{
    private const int Kept = 32;

    private string Folder => Path.Combine(cacheFolder, "manifests");

    public List<ManifestEntryModel>? TryLoad(string manifestDigest)
    {
        var file = Path.Combine(Folder, manifestDigest + ".tsv");
        if (!File.Exists(file))
            return null;
        try
        {
            var entries = new List<ManifestEntryModel>();
            foreach (var line in File.ReadLines(file, Encoding.UTF8))
            {
                var f = line.Split('\t');
                if (f.Length != 4 || !long.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
                    return null;
                entries.Add(new ManifestEntryModel(f[0], f[1], size, f[3].Length == 0 ? null : f[3]));
            }
            return entries;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// The entries of <paramref name="manifestDigest"/> when they are cached and really hash to that digest, so they
    /// can stand in for the portal's listing of a version with that digest.
    /// </summary>
    public List<ManifestEntryModel>? TryLoadVerified(string manifestDigest)
    {
        var entries = TryLoad(manifestDigest);
        try
        {
            return entries is not null && Portal.Client.Manifests.ManifestAlgorithm.ComputeManifestDigest(entries) == manifestDigest ? entries : null;
        }
        catch (ArgumentException)
        {
            return null; // a path twice: not a manifest the portal would have committed
        }
    }

    /// <summary>
    /// Remembers <paramref name="entries"/> under their manifest digest; keeps the most recent few. Tabs and line
    /// breaks cannot occur in the fields: the portal refuses control characters in paths, and URIs escape them.
    /// </summary>
    public void Save(string manifestDigest, IEnumerable<ManifestEntryModel> entries)
    {
        try
        {
            Directory.CreateDirectory(Folder);
            var file = Path.Combine(Folder, manifestDigest + ".tsv");
            var temp = file + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
            using (var writer = new StreamWriter(temp, append: false, new UTF8Encoding(false)))
            {
                foreach (var e in entries)
                    writer.Write($"{e.Path}\t{e.Digest}\t{e.Size.ToString(CultureInfo.InvariantCulture)}\t{(e.Ref is null ? "" : e.Ref)}\n");
            }
            File.Move(temp, file, overwrite: true);
            foreach (var old in new DirectoryInfo(Folder).EnumerateFiles("*.tsv").OrderByDescending(f => f.LastWriteTimeUtc).Skip(Kept))
                old.Delete();
        }
        catch (IOException)
        {
            // The cache only saves work; a put that cannot write it still succeeded.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// The changes that turn <paramref name="previous"/> into <paramref name="current"/>: upserts (new or changed
    /// entries) and deletes (paths gone).
    /// </summary>
    public static (List<ManifestEntryModel> Upserts, List<string> Deletes) Changes(IReadOnlyList<ManifestEntryModel> previous, IReadOnlyList<ManifestEntryModel> current)
    {
        var before = new Dictionary<string, ManifestEntryModel>(previous.Count, StringComparer.Ordinal);
        foreach (var e in previous)
            before[e.Path] = e;
        var upserts = new List<ManifestEntryModel>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in current)
        {
            seen.Add(e.Path);
            if (!before.TryGetValue(e.Path, out var old) || old.Digest != e.Digest || old.Size != e.Size || old.Ref != e.Ref)
                upserts.Add(e);
        }
        var deletes = previous.Where(e => !seen.Contains(e.Path)).Select(e => e.Path).ToList();
        return (upserts, deletes);
    }
}
