using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Portal.Client.Models;

namespace Portal.Client.Manifests;

/// <summary>
/// The byte-exact manifest algorithm of the design ("Content addressing and manifests"), shared by the portal and
/// its clients: entry order, canonical lines, content-defined range boundaries, range and manifest digests. A client
/// that computes a manifest digest here gets the digest the portal will compute, so it can tell "nothing changed"
/// without sending the manifest. Anything here changes every digest ever computed; fixed test vectors guard it.
/// </summary>
public static class ManifestAlgorithm
{
    /// <summary>First bytes hashed into every manifest digest; names the format version.</summary>
    public const string ManifestHeader = "portal-manifest-v1\n";

    /// <summary>A range is closed after this many entries even without a content-defined boundary.</summary>
    public const int MaxRangeEntries = 4096;

    /// <summary>Low bits of the path hash that must all be zero at a boundary: 10 bits, one path in 1,024.</summary>
    public const uint BoundaryMask = 0x3FF;

    private static readonly byte[] HeaderBytes = Encoding.UTF8.GetBytes(ManifestHeader);

    /// <summary>
    /// Orders paths by their UTF-8 bytes (Unicode code-point order). It differs from ordinal UTF-16 order only where
    /// a surrogate pair meets a character in U+E000..U+FFFF.
    /// </summary>
    public static int ComparePaths(ReadOnlySpan<char> x, ReadOnlySpan<char> y)
    {
        var common = x.CommonPrefixLength(y);
        if (common == x.Length || common == y.Length)
            return x.Length - y.Length;
        int a = x[common];
        int b = y[common];
        // Only when both code units are at or above U+D800 can the two orders disagree. Moving surrogates
        // (D800..DFFF) above E000..FFFF restores code-point order; the first differing unit decides, because a
        // difference inside a surrogate pair compares the same way in both orders.
        if (a >= 0xD800 && b >= 0xD800)
        {
            a = a >= 0xE000 ? a - 0x800 : a + 0x2000;
            b = b >= 0xE000 ? b - 0x800 : b + 0x2000;
        }
        return a - b;
    }

    /// <summary>
    /// True when an entry with this path ends its range: the first 4 bytes of SHA-256(UTF-8 path), read as a
    /// little-endian uint32, have their low 10 bits zero.
    /// </summary>
    public static bool IsRangeBoundary(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
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

    /// <summary>Writes <c>path \t digest \t size \t ref \n</c> in UTF-8; a null ref is an empty field.</summary>
    public static void WriteLine(string path, string digest, long size, string? reference, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        Encoding.UTF8.GetBytes(path, output);
        WriteByte(output, (byte)'\t');
        Encoding.UTF8.GetBytes(digest, output);
        WriteByte(output, (byte)'\t');
        var span = output.GetSpan(20);
        if (!size.TryFormat(span, out var sizeBytes, default, CultureInfo.InvariantCulture))
            throw new InvalidOperationException("A 64-bit integer always fits in 20 bytes.");
        output.Advance(sizeBytes);
        WriteByte(output, (byte)'\t');
        if (reference is not null)
            Encoding.UTF8.GetBytes(reference, output);
        WriteByte(output, (byte)'\n');
    }

    /// <summary>An incremental hash already fed with <see cref="ManifestHeader"/>.</summary>
    public static IncrementalHash CreateManifestHash()
    {
        var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(HeaderBytes);
        return hash;
    }

    /// <summary>Adds one range digest (64 hex characters) and a newline to a manifest hash.</summary>
    public static void AppendRangeDigest(IncrementalHash manifestHash, string rangeDigest)
    {
        ArgumentNullException.ThrowIfNull(manifestHash);
        Span<byte> line = stackalloc byte[65];
        var written = Encoding.ASCII.GetBytes(rangeDigest, line);
        line[written] = (byte)'\n';
        manifestHash.AppendData(line[..(written + 1)]);
    }

    /// <summary>
    /// The manifest digest of <paramref name="entries"/> in any order, as the portal computes it. Paths are not
    /// validated here (the portal does that); duplicate paths throw.
    /// </summary>
    public static string ComputeManifestDigest(IEnumerable<ManifestEntryModel> entries)
    {
        var sorted = entries.ToArray();
        Array.Sort(sorted, static (a, b) => ComparePaths(a.Path, b.Path));
        using var manifest = CreateManifestHash();
        using var range = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var line = new ArrayBufferWriter<byte>(256);
        var inRange = 0;
        for (var i = 0; i < sorted.Length; i++)
        {
            var entry = sorted[i];
            if (i > 0 && string.Equals(sorted[i - 1].Path, entry.Path, StringComparison.Ordinal))
                throw new ArgumentException($"The path '{entry.Path}' appears twice.", nameof(entries));
            line.ResetWrittenCount();
            WriteLine(entry.Path, entry.Digest, entry.Size, entry.Ref, line);
            range.AppendData(line.WrittenSpan);
            inRange++;
            if (inRange == MaxRangeEntries || IsRangeBoundary(entry.Path))
            {
                AppendRangeDigest(manifest, Convert.ToHexStringLower(range.GetHashAndReset()));
                inRange = 0;
            }
        }
        if (inRange > 0)
            AppendRangeDigest(manifest, Convert.ToHexStringLower(range.GetHashAndReset()));
        return Convert.ToHexStringLower(manifest.GetHashAndReset());
    }

    private static void WriteByte(IBufferWriter<byte> output, byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }
}
