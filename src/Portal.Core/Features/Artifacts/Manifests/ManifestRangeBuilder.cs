using System.Buffers;
using System.Security.Cryptography;
using Portal.Client;

namespace Portal.Core.Features.Artifacts.Manifests;

/// <summary>A closed range: its digest and its entries, in order.</summary>
/// <param name="Ordinal">Position of the range in the manifest, from 0.</param>
public sealed record BuiltRange(int Ordinal, string Digest, IReadOnlyList<ManifestEntry> Entries, long TotalSize)
{
    public int EntryCount => Entries.Count;

    public string FirstPath => Entries[0].Path;

    public string LastPath => Entries[^1].Path;
}

/// <summary>What a whole manifest comes to once every range is closed.</summary>
public sealed record ManifestSummary(string Digest, long FileCount, long TotalSize, IReadOnlyList<string> RangeDigests);

/// <summary>
/// Cuts a sorted stream of entries into ranges and computes their digests and the manifest digest, holding only the
/// current range's entries in memory. Feed entries with <see cref="Add"/> (each call may return the range it closed)
/// and finish with <see cref="Complete"/>.
/// </summary>
/// <remarks>Entries are validated as they arrive, so nothing that breaks the manifest rules is ever hashed.</remarks>
public sealed class ManifestRangeBuilder : IDisposable
{
    private readonly IncrementalHash _rangeHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash _manifestHash = ManifestCanonicalForm.CreateManifestHash();
    private readonly ArrayBufferWriter<byte> _line = new(512);
    private readonly List<string> _rangeDigests = [];
    private readonly PathConflicts _conflicts = new();
    private List<ManifestEntry> _entries = [];
    private long _rangeSize;
    private long _totalSize;
    private long _fileCount;
    private string? _previousPath;
    private bool _completed;

    /// <summary>
    /// Adds the next entry in <see cref="Utf8PathComparer"/> order. Returns the range this entry closed, or null.
    /// </summary>
    /// <exception cref="PortalException">400 <c>manifest_unsorted</c>, <c>path_duplicate</c>, <c>path_conflict</c>, or an
    /// entry validation code (<see cref="ManifestEntry.Validate"/>).</exception>
    public BuiltRange? Add(ManifestEntry entry)
    {
        ThrowIfCompleted();
        entry.Validate();
        if (_previousPath is not null)
        {
            var order = Utf8PathComparer.Instance.Compare(_previousPath, entry.Path);
            if (order == 0)
                throw DuplicatePath(entry.Path);
            if (order > 0)
            {
                throw PortalException.BadRequest(
                    ErrorCodes.ManifestUnsorted,
                    $"Manifest entries must be sorted by path (UTF-8 byte order): {ManifestPath.Display(entry.Path)} comes after {ManifestPath.Display(_previousPath)}.",
                    new Dictionary<string, object?> { ["path"] = entry.Path, ["previousPath"] = _previousPath });
            }
        }
        _previousPath = entry.Path;
        _conflicts.Add(entry.Path);

        _line.ResetWrittenCount();
        ManifestCanonicalForm.WriteLine(entry, _line);
        _rangeHash.AppendData(_line.WrittenSpan);
        _entries.Add(entry);
        _fileCount++;
        try
        {
            _rangeSize = checked(_rangeSize + entry.Size);
            _totalSize = checked(_totalSize + entry.Size);
        }
        catch (OverflowException)
        {
            throw PortalException.BadRequest(ErrorCodes.SizeInvalid, $"The manifest's total size overflows a 64-bit integer at {ManifestPath.Display(entry.Path)}.");
        }

        return ManifestCanonicalForm.IsRangeBoundary(entry.Path) || _entries.Count == ManifestCanonicalForm.MaxRangeEntries
            ? CloseRange()
            : null;
    }

    /// <summary>
    /// Clashes between a file and a folder of the same name that depend on what appended stored ranges hold; the
    /// caller confirms them against the stored entries (<see cref="PathConflictSuspect.Confirm"/>).
    /// </summary>
    internal IReadOnlyList<PathConflictSuspect> PathConflictSuspects => _conflicts.Suspects;

    /// <summary>True between ranges: no entries wait in an open range, so a stored range can be appended whole.</summary>
    public bool AtRangeBoundary => _entries.Count == 0;

    /// <summary>
    /// Appends a range that is already stored, by digest, without its entries — what makes a patch cost what it
    /// changes. Only allowed at a range boundary: the stored range's own boundaries then hold unchanged, because a
    /// range ends where its last path says (or at the size cap counted from its own start).
    /// </summary>
    public void AddStoredRange(string digest, int entryCount, long totalSize, string firstPath, string lastPath)
    {
        ThrowIfCompleted();
        if (!AtRangeBoundary)
            throw new InvalidOperationException("A stored range can only follow a closed range.");
        if (_previousPath is not null && Utf8PathComparer.Instance.Compare(_previousPath, firstPath) >= 0)
        {
            throw PortalException.BadRequest(
                ErrorCodes.ManifestUnsorted,
                $"Manifest entries must be sorted by path (UTF-8 byte order): {ManifestPath.Display(firstPath)} comes after {ManifestPath.Display(_previousPath)}.");
        }

        _conflicts.AddStoredRange(digest, firstPath, lastPath);
        ManifestCanonicalForm.AppendRangeDigest(_manifestHash, digest);
        _rangeDigests.Add(digest);
        _fileCount += entryCount;
        _totalSize = checked(_totalSize + totalSize);
        _previousPath = lastPath;
    }

    /// <summary>Closes the last, partial range (if any entries are left) and returns it with the manifest summary.</summary>
    public (BuiltRange? FinalRange, ManifestSummary Summary) Complete()
    {
        ThrowIfCompleted();
        var finalRange = _entries.Count > 0 ? CloseRange() : null;
        _completed = true;
        var summary = new ManifestSummary(
            Convert.ToHexStringLower(_manifestHash.GetHashAndReset()), _fileCount, _totalSize, _rangeDigests.AsReadOnly());
        return (finalRange, summary);
    }

    /// <summary>Builds a whole manifest from sorted entries, handing each range to <paramref name="onRange"/> as it closes.</summary>
    public static ManifestSummary Build(IEnumerable<ManifestEntry> sortedEntries, Action<BuiltRange>? onRange = null)
    {
        using var builder = new ManifestRangeBuilder();
        foreach (var entry in sortedEntries)
        {
            if (builder.Add(entry) is { } range)
                onRange?.Invoke(range);
        }
        var (finalRange, summary) = builder.Complete();
        if (finalRange is not null)
            onRange?.Invoke(finalRange);
        return summary;
    }

    /// <summary>
    /// Builds a whole manifest from a sorted async stream, awaiting <paramref name="onRange"/> for each range as it
    /// closes (e.g. to store it) before reading on.
    /// </summary>
    public static async Task<ManifestSummary> BuildAsync(
        IAsyncEnumerable<ManifestEntry> sortedEntries,
        Func<BuiltRange, CancellationToken, ValueTask>? onRange = null,
        CancellationToken cancellationToken = default)
    {
        using var builder = new ManifestRangeBuilder();
        await foreach (var entry in sortedEntries.WithCancellation(cancellationToken))
        {
            if (builder.Add(entry) is { } range && onRange is not null)
                await onRange(range, cancellationToken);
        }
        var (finalRange, summary) = builder.Complete();
        if (finalRange is not null && onRange is not null)
            await onRange(finalRange, cancellationToken);
        return summary;
    }

    public void Dispose()
    {
        _rangeHash.Dispose();
        _manifestHash.Dispose();
    }

    internal static PortalException DuplicatePath(string path) =>
        PortalException.BadRequest(
            ErrorCodes.PathDuplicate,
            $"Path {ManifestPath.Display(path)} appears more than once in the manifest.",
            new Dictionary<string, object?> { ["path"] = path });

    private void ThrowIfCompleted()
    {
        if (_completed)
            throw new InvalidOperationException("The manifest is already complete; start a new builder.");
    }

    private BuiltRange CloseRange()
    {
        var digest = Convert.ToHexStringLower(_rangeHash.GetHashAndReset());
        ManifestCanonicalForm.AppendRangeDigest(_manifestHash, digest);
        var range = new BuiltRange(_rangeDigests.Count, digest, _entries.AsReadOnly(), _rangeSize);
        _rangeDigests.Add(digest);
        // A fresh list, not Clear(): the closed range keeps its entries after the builder moves on.
        _entries = [];
        _rangeSize = 0;
        return range;
    }
}
