using System.Security.Cryptography;

namespace Portal.Core.Features.Artifacts.Packs;

/// <summary>
/// Writes one pack into a staging file: verified blobs appended as they come, the whole hashed on the way, the trailer
/// added and the file flushed to disk once at the end. A builder that is disposed unfinished deletes its file.
/// </summary>
internal sealed class PackBuilder : IDisposable
{
    private readonly FileStream _file;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly List<PackedBlob> _blobs = [];
    private bool _finished;

    public PackBuilder(string stagingPath)
    {
        StagingPath = stagingPath;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(stagingPath)!);
        // A 1 MiB buffer: blobs are small, so writes are gathered into large ones.
        _file = new FileStream(stagingPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, 1 << 20, FileOptions.None);
    }

    public string StagingPath { get; }

    /// <summary>Bytes of blobs written so far.</summary>
    public long Length { get; private set; }

    public IReadOnlyList<PackedBlob> Blobs => _blobs;

    /// <summary>Appends a blob whose bytes the caller has verified against <paramref name="digest"/>.</summary>
    public PackedBlob Add(string digest, ReadOnlySpan<byte> bytes)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        _file.Write(bytes);
        _hash.AppendData(bytes);
        var blob = new PackedBlob(digest, Length, bytes.Length);
        _blobs.Add(blob);
        Length += bytes.Length;
        return blob;
    }

    /// <summary>Reads back a blob written to this builder (to copy it into a smaller pack).</summary>
    public void ReadBack(PackedBlob blob, Span<byte> into)
    {
        _file.Flush();
        RandomAccess.Read(_file.SafeFileHandle, into[..checked((int)blob.Size)], blob.Offset);
    }

    /// <summary>Writes the trailer, flushes the file to disk and closes it; returns the pack's digest and size.</summary>
    public (string Digest, long Size) Finish()
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        var trailer = PackFormat.Trailer(_blobs);
        _file.Write(trailer);
        _hash.AppendData(trailer);
        // The pack must be durable before any database row points into it.
        _file.Flush(flushToDisk: true);
        var size = _file.Length;
        _file.Dispose();
        _finished = true;
        return (Convert.ToHexStringLower(_hash.GetHashAndReset()), size);
    }

    public void Dispose()
    {
        _hash.Dispose();
        if (_finished)
            return;
        _finished = true;
        _file.Dispose();
        try
        {
            File.Delete(StagingPath);
        }
        catch (IOException)
        {
            // Left for the store's clean-up of stale staging files.
        }
    }
}
