using System.Security.Cryptography;
using System.Text;
using Portal.Core.Features.Artifacts.Manifests;

namespace Portal.Core.Tests.Features.Artifacts.Manifests;

/// <summary>Test manifests, and a deliberately naive re-implementation of DESIGN's range rules to check against.</summary>
internal static class ManifestVectors
{
    /// <summary><c>docs/file-00000.txt</c> … <c>docs/file-09999.txt</c>; digest = SHA-256 of the path string, size = index.</summary>
    public static List<ManifestEntry> Docs(int count = 10_000) =>
        Enumerable.Range(0, count)
            .Select(i => $"docs/file-{i:D5}.txt")
            .Select((path, i) => new ManifestEntry(path, Sha256Hex(path), i))
            .ToList();

    public static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    public static bool NaiveIsBoundary(string path)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(path));
        var littleEndian = (uint)hash[0] | ((uint)hash[1] << 8) | ((uint)hash[2] << 16) | ((uint)hash[3] << 24);
        return littleEndian % 1024 == 0;
    }

    public static string NaiveLine(ManifestEntry e) => $"{e.Path}\t{e.Digest}\t{e.Size}\t{e.Ref}\n";

    /// <summary>Ranges as lists, cut by the boundary rule and the 4,096 cap; digests from plain string concatenation.</summary>
    public static (List<List<ManifestEntry>> Ranges, List<string> RangeDigests, string ManifestDigest) NaiveBuild(IReadOnlyList<ManifestEntry> sorted)
    {
        var ranges = new List<List<ManifestEntry>>();
        var current = new List<ManifestEntry>();
        foreach (var entry in sorted)
        {
            current.Add(entry);
            if (NaiveIsBoundary(entry.Path) || current.Count == 4096)
            {
                ranges.Add(current);
                current = [];
            }
        }
        if (current.Count > 0)
            ranges.Add(current);
        var rangeDigests = ranges.Select(r => Sha256Hex(string.Concat(r.Select(NaiveLine)))).ToList();
        var manifestDigest = Sha256Hex("portal-manifest-v1\n" + string.Concat(rangeDigests.Select(d => d + "\n")));
        return (ranges, rangeDigests, manifestDigest);
    }
}
