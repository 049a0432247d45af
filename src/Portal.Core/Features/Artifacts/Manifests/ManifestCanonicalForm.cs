using System.Buffers;
using System.Security.Cryptography;
using Portal.Client.Manifests;

namespace Portal.Core.Features.Artifacts.Manifests;

/// <summary>
/// The byte-exact definition of range and manifest digests (DESIGN, "Content addressing and manifests"), over
/// <see cref="ManifestEntry"/>. The algorithm itself lives in <see cref="ManifestAlgorithm"/>, shared with the SDK so
/// clients compute the digests the portal computes. The fixed vectors in the tests exist to catch any change.
/// </summary>
public static class ManifestCanonicalForm
{
    /// <summary>First bytes hashed into every manifest digest; names the format version.</summary>
    public const string ManifestHeader = ManifestAlgorithm.ManifestHeader;

    /// <summary>A range is closed after this many entries even without a content-defined boundary.</summary>
    public const int MaxRangeEntries = ManifestAlgorithm.MaxRangeEntries;

    /// <summary>Low bits of the path hash that must all be zero at a boundary: 10 bits, one path in 1,024.</summary>
    public const uint BoundaryMask = ManifestAlgorithm.BoundaryMask;

    /// <summary>SHA-256 of <see cref="ManifestHeader"/> alone: the digest of a manifest with no entries.</summary>
    public static string EmptyManifestDigest { get; } = ComputeManifestDigest([]);

    /// <inheritdoc cref="ManifestAlgorithm.IsRangeBoundary"/>
    public static bool IsRangeBoundary(string path) => ManifestAlgorithm.IsRangeBoundary(path);

    /// <summary>Writes <c>path \t digest \t size \t ref \n</c> in UTF-8; a null ref is an empty field. Extra is not part of it.</summary>
    public static void WriteLine(ManifestEntry entry, IBufferWriter<byte> output) =>
        ManifestAlgorithm.WriteLine(entry.Path, entry.Digest, entry.Size, entry.Ref, output);

    /// <summary>The canonical line of one entry, as bytes.</summary>
    public static byte[] GetLine(ManifestEntry entry)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        WriteLine(entry, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>SHA-256 of the canonical lines of <paramref name="entries"/>, in the order given.</summary>
    public static string ComputeRangeDigest(IEnumerable<ManifestEntry> entries)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var line = new ArrayBufferWriter<byte>(256);
        foreach (var entry in entries)
        {
            line.ResetWrittenCount();
            WriteLine(entry, line);
            hash.AppendData(line.WrittenSpan);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>SHA-256 of <c>portal-manifest-v1\n</c> followed by each range digest (hex) and <c>\n</c>.</summary>
    public static string ComputeManifestDigest(IEnumerable<string> rangeDigests)
    {
        using var hash = CreateManifestHash();
        foreach (var rangeDigest in rangeDigests)
            AppendRangeDigest(hash, rangeDigest);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    internal static IncrementalHash CreateManifestHash() => ManifestAlgorithm.CreateManifestHash();

    internal static void AppendRangeDigest(IncrementalHash manifestHash, string rangeDigest) =>
        ManifestAlgorithm.AppendRangeDigest(manifestHash, rangeDigest);
}
