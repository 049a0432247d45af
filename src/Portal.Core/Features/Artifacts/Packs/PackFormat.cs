using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Portal.Core.Features.Artifacts.Packs;

/// <summary>One blob inside a pack.</summary>
public sealed record PackedBlob(string Digest, long Offset, long Size);

/// <summary>
/// The bytes of a pack: the blobs one after another, then a trailer that indexes them, so a pack explains itself
/// without the database (as restic's and git's packs do):
/// <code>
/// blob bytes … blob bytes
/// "portal-pack-v1\n"
/// "&lt;64 hex digest&gt; &lt;offset&gt; &lt;size&gt;\n"   (one line per blob, in pack order)
/// &lt;8 bytes: length of the trailer text above, little-endian&gt;
/// </code>
/// The pack is named by the SHA-256 of all of it, trailer included, like any object of the store.
/// </summary>
public static class PackFormat
{
    public const string Magic = "portal-pack-v1";

    public static byte[] Trailer(IReadOnlyList<PackedBlob> blobs)
    {
        var text = new StringBuilder(Magic.Length + 1 + blobs.Count * 90);
        text.Append(Magic).Append('\n');
        foreach (var blob in blobs)
            text.Append(CultureInfo.InvariantCulture, $"{blob.Digest} {blob.Offset} {blob.Size}\n");
        var bytes = Encoding.ASCII.GetBytes(text.ToString());
        var trailer = new byte[bytes.Length + 8];
        bytes.CopyTo(trailer, 0);
        BinaryPrimitives.WriteInt64LittleEndian(trailer.AsSpan(bytes.Length), bytes.Length);
        return trailer;
    }

    /// <summary>Reads the index of a whole pack (for checks and re-indexing).</summary>
    /// <exception cref="InvalidDataException">The bytes are not a pack.</exception>
    public static IReadOnlyList<PackedBlob> ReadIndex(ReadOnlySpan<byte> pack)
    {
        if (pack.Length < 8)
            throw new InvalidDataException("Too short to be a pack.");
        var length = BinaryPrimitives.ReadInt64LittleEndian(pack[^8..]);
        if (length < Magic.Length + 1 || length > pack.Length - 8)
            throw new InvalidDataException("The pack's trailer length is out of range.");
        var text = Encoding.ASCII.GetString(pack.Slice((int)(pack.Length - 8 - length), (int)length));
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0 || lines[0] != Magic)
            throw new InvalidDataException("The pack's trailer does not start with " + Magic + ".");
        var blobs = new List<PackedBlob>(lines.Length - 1);
        foreach (var line in lines.Skip(1))
        {
            var parts = line.Split(' ');
            if (parts.Length != 3 || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
                || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
                throw new InvalidDataException($"The pack's trailer line '{line}' is not '<digest> <offset> <size>'.");
            blobs.Add(new PackedBlob(parts[0], offset, size));
        }
        return blobs;
    }
}
