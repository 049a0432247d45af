using System.Buffers.Binary;
using System.IO.Compression;
using Microsoft.Extensions.Options;
using Portal.Client;
using Portal.Core.Features.Artifacts.Manifests;
using Portal.Core.Storage;

namespace Portal.Core.Features.Ingestions;

/// <summary>
/// Turns an uploaded zip into manifest entries. Nothing is extracted to the file system: every entry streams from the
/// zip straight into the content-addressed store, so no entry name is ever used as a file-system path. Before a byte
/// is inflated the whole directory is checked — entry count (read from the end record, before the directory is
/// parsed), the path rules for every name (which refuse <c>..</c>, absolute paths and backslashes), symlinks,
/// duplicates and the declared expanded size — and while inflating each entry is held to its declared size and the
/// zip to <see cref="IngestionOptions.MaxZipExpandedBytes"/>, so a zip bomb stops at the limit.
/// </summary>
public sealed class ZipExpansion(IBlobStore blobs, IOptions<IngestionOptions> options)
{
    private const uint EndOfDirectorySignature = 0x06054b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const uint Zip64EndSignature = 0x06064b50;
    private const int UnixFileTypeMask = 0xF000;
    private const int UnixSymlink = 0xA000;

    public async Task ExpandAsync(string zipPath, ManifestNdjsonWriter manifest, IngestionProgress progress, Func<BlobPutResult, CancellationToken, ValueTask> recordStored, CancellationToken ct)
    {
        var limits = options.Value;
        await using var file = new FileStream(zipPath, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.Asynchronous);
        var declaredCount = await ReadEntryCountAsync(file, ct);
        if (declaredCount > (ulong)limits.MaxZipEntries)
            throw TooManyEntries(declaredCount, limits.MaxZipEntries);
        file.Position = 0;

        ZipArchive archive;
        try
        {
            archive = await ZipArchive.CreateAsync(file, ZipArchiveMode.Read, leaveOpen: true, entryNameEncoding: null, ct);
        }
        catch (InvalidDataException ex)
        {
            throw Invalid(ex.Message);
        }
        await using (archive)
        {
            if (archive.Entries.Count > limits.MaxZipEntries)
                throw TooManyEntries((ulong)archive.Entries.Count, limits.MaxZipEntries);

            var files = new List<ZipArchiveEntry>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            long declaredBytes = 0;
            foreach (var entry in archive.Entries)
            {
                var name = entry.FullName;
                var isDirectory = name.EndsWith('/');
                ManifestPath.Validate(isDirectory ? name[..^1] : name);
                if (((entry.ExternalAttributes >> 16) & UnixFileTypeMask) == UnixSymlink)
                {
                    throw PortalException.BadRequest(ErrorCodes.ZipEntryUnsupported, $"Zip entry {ManifestPath.Display(name)} is a symbolic link; a version holds files only.",
                        new Dictionary<string, object?> { ["path"] = name });
                }
                if (isDirectory)
                    continue;
                if (!seen.Add(name))
                {
                    throw PortalException.BadRequest(ErrorCodes.PathDuplicate, $"Zip entry {ManifestPath.Display(name)} appears more than once; every path appears once.",
                        new Dictionary<string, object?> { ["path"] = name });
                }
                declaredBytes += entry.Length;
                if (entry.Length < 0 || declaredBytes > limits.MaxZipExpandedBytes)
                    throw TooLarge(limits.MaxZipExpandedBytes);
                files.Add(entry);
            }

            progress.FilesTotal = files.Count;
            progress.BytesTotal = declaredBytes;
            var budget = new ExpansionBudget(limits.MaxZipExpandedBytes);
            foreach (var entry in files)
            {
                BlobPutResult stored;
                try
                {
                    await using var inflated = await entry.OpenAsync(ct);
                    stored = await blobs.PutAsync(new ProgressStream(new BoundedEntryStream(inflated, entry.FullName, entry.Length, budget), progress), ct);
                }
                catch (InvalidDataException ex)
                {
                    throw Invalid($"entry {ManifestPath.Display(entry.FullName)}: {ex.Message}");
                }
                await recordStored(stored, ct);
                if (stored.Size != entry.Length)
                    throw Invalid($"entry {ManifestPath.Display(entry.FullName)} holds {stored.Size:N0} bytes, not the {entry.Length:N0} its header declares");
                await manifest.WriteAsync(new ManifestEntry(entry.FullName, stored.Digest, stored.Size), ct);
                progress.FileDone();
            }
        }
    }

    /// <summary>
    /// The entry count of the end-of-central-directory record (zip64 when it says so), read before
    /// <see cref="ZipArchive"/> parses the directory into memory.
    /// </summary>
    internal static async Task<ulong> ReadEntryCountAsync(FileStream file, CancellationToken ct)
    {
        const int minRecord = 22;
        var tailLength = (int)Math.Min(file.Length, minRecord + ushort.MaxValue);
        if (tailLength < minRecord)
            throw Invalid("the file is too short to be a zip");
        var tail = new byte[tailLength];
        file.Position = file.Length - tailLength;
        await file.ReadExactlyAsync(tail, ct);
        for (var i = tailLength - minRecord; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(i)) != EndOfDirectorySignature)
                continue;
            var count = BinaryPrimitives.ReadUInt16LittleEndian(tail.AsSpan(i + 10));
            if (count != ushort.MaxValue)
                return count;
            var locator = file.Length - tailLength + i - 20;
            if (locator < 0)
                throw Invalid("the zip64 end record is missing");
            var locatorBytes = new byte[20];
            file.Position = locator;
            await file.ReadExactlyAsync(locatorBytes, ct);
            if (BinaryPrimitives.ReadUInt32LittleEndian(locatorBytes) != Zip64LocatorSignature)
                throw Invalid("the zip64 end record is missing");
            var endOffset = BinaryPrimitives.ReadUInt64LittleEndian(locatorBytes.AsSpan(8));
            if (endOffset > (ulong)(file.Length - 56))
                throw Invalid("the zip64 end record points outside the file");
            var end = new byte[56];
            file.Position = (long)endOffset;
            await file.ReadExactlyAsync(end, ct);
            if (BinaryPrimitives.ReadUInt32LittleEndian(end) != Zip64EndSignature)
                throw Invalid("the zip64 end record is damaged");
            return BinaryPrimitives.ReadUInt64LittleEndian(end.AsSpan(32));
        }
        throw Invalid("no end-of-central-directory record was found");
    }

    private static PortalException Invalid(string why) => PortalException.BadRequest(ErrorCodes.ZipInvalid, $"The zip cannot be read: {why}.");

    private static PortalException TooManyEntries(ulong count, int limit) =>
        PortalException.BadRequest(ErrorCodes.ZipTooManyEntries, $"The zip holds {count:N0} entries, more than the limit of {limit:N0} (Ingestion:MaxZipEntries).",
            new Dictionary<string, object?> { ["entries"] = count });

    internal static PortalException TooLarge(long limit) =>
        PortalException.BadRequest(ErrorCodes.ZipTooLarge, $"The zip expands to more than the limit of {limit:N0} bytes (Ingestion:MaxZipExpandedBytes).");

    /// <summary>The bytes all entries of one zip may still expand to.</summary>
    private sealed class ExpansionBudget(long limit)
    {
        private long _left = limit;

        public long Limit { get; } = limit;

        public void Take(int count)
        {
            _left -= count;
            if (_left < 0)
                throw TooLarge(Limit);
        }
    }

    /// <summary>An inflating entry held to its declared size and the zip's budget, whatever its headers claim.</summary>
    private sealed class BoundedEntryStream(Stream inner, string path, long declared, ExpansionBudget budget) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int n)
        {
            _read += n;
            budget.Take(n);
            if (_read > declared)
            {
                throw PortalException.BadRequest(ErrorCodes.ZipTooLarge, $"Zip entry {ManifestPath.Display(path)} expands beyond the {declared:N0} bytes its header declares.",
                    new Dictionary<string, object?> { ["path"] = path });
            }
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
