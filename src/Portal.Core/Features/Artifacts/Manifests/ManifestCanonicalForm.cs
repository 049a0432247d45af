using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Portal.Core.Features.Artifacts.Manifests;

/// <summary>
/// The byte-exact definition of range and manifest digests (DESIGN, "Content addressing and manifests"). Anything
/// here changes every digest ever computed; the fixed vectors in the tests exist to catch that.
/// </summary>
public static class ManifestCanonicalForm
{
    /// <summary>First bytes hashed into every manifest digest; names the format version.</summary>
    public const string ManifestHeader = "portal-manifest-v1\n";

    /// <summary>A range is closed after this many entries even without a content-defined boundary.</summary>
    public const int MaxRangeEntries = 4096;

    /// <summary>Low bits of the path hash that must all be zero at a boundary: 10 bits, one path in 1,024.</summary>
    public const uint BoundaryMask = 0x3FF;

    private static readonly byte[] HeaderBytes = Encoding.UTF8.GetBytes(ManifestHeader);

    /// <summary>SHA-256 of <see cref="ManifestHeader"/> alone: the digest of a manifest with no entries.</summary>
    public static string EmptyManifestDigest { get; } = ComputeManifestDigest([]);

    /// <summary>
    /// True when an entry with this path ends its range: the first 4 bytes of SHA-256(UTF-8 path), read as a
    /// little-endian uint32, have their low 10 bits zero. Depending on the path alone is what lets an edit touch only
    /// the ranges around it.
    /// </summary>
    public static bool IsRangeBoundary(string path)
    {
        var byteCount = Encoding.UTF8.GetByteCount(path);
        var rented = byteCount > 1024 ? ArrayPool<byte>.Shared.Rent(byteCount) : null;
        try
        {
            Span<byte> utf8 = rented ?? stackalloc byte[1024];
            var written = Encoding.UTF8.GetBytes(path, utf8);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(utf8[..written], hash);
            return (BinaryPrimitives.ReadUInt32LittleEndian(hash) & BoundaryMask) == 0;
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Writes <c>path \t digest \t size \t ref \n</c> in UTF-8; a null ref is an empty field. Extra is not part of it.</summary>
    public static void WriteLine(ManifestEntry entry, IBufferWriter<byte> output)
    {
        Encoding.UTF8.GetBytes(entry.Path, output);
        WriteByte(output, (byte)'\t');
        Encoding.UTF8.GetBytes(entry.Digest, output);
        WriteByte(output, (byte)'\t');
        var span = output.GetSpan(20);
        if (!entry.Size.TryFormat(span, out var sizeBytes, default, System.Globalization.CultureInfo.InvariantCulture))
            throw new InvalidOperationException("A 64-bit integer always fits in 20 bytes.");
        output.Advance(sizeBytes);
        WriteByte(output, (byte)'\t');
        if (entry.Ref is not null)
            Encoding.UTF8.GetBytes(entry.Ref, output);
        WriteByte(output, (byte)'\n');
    }

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

    internal static IncrementalHash CreateManifestHash()
    {
        var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(HeaderBytes);
        return hash;
    }

    internal static void AppendRangeDigest(IncrementalHash manifestHash, string rangeDigest)
    {
        // Range digests are 64 ASCII hex characters, so one byte per char.
        Span<byte> line = stackalloc byte[65];
        var written = Encoding.ASCII.GetBytes(rangeDigest, line);
        line[written] = (byte)'\n';
        manifestHash.AppendData(line[..(written + 1)]);
    }

    private static void WriteByte(IBufferWriter<byte> output, byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }
}
