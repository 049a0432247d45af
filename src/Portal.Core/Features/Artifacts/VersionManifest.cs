using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts.Manifests;

namespace Portal.Core.Features.Artifacts;

/// <summary>One range of a version's manifest, as the version lists it.</summary>
public sealed record VersionRangeRef(int Ordinal, string Digest, int EntryCount, long TotalSize, string FirstPath, string LastPath, string? Folders = null);

/// <summary>
/// Reads a stored manifest without reading it whole. A version's range list (about one row per thousand files) is
/// small enough to hold in memory and search with <see cref="Utf8PathComparer"/>; entries are read only from the
/// ranges a question touches, by ordinal (the primary key), so the database's collation never decides path order.
/// </summary>
public static class VersionManifest
{
    /// <summary>Entries per step of the coarse index used to seek inside a range.</summary>
    private const int SeekStride = 64;

    public static async Task<IReadOnlyList<VersionRangeRef>> LoadRangesAsync(PortalDbContext db, Guid versionId, CancellationToken ct)
    {
        var rows = await db.VersionRanges.AsNoTracking()
            .Where(vr => vr.VersionId == versionId)
            .Join(db.ManifestRanges, vr => vr.RangeDigest, r => r.Digest, (vr, r) => new { vr.Ordinal, r.Digest, r.EntryCount, r.TotalSize, r.FirstPath, r.LastPath, r.Folders })
            .OrderBy(x => x.Ordinal)
            .ToListAsync(ct);
        return rows.Select(r => new VersionRangeRef(r.Ordinal, r.Digest, r.EntryCount, r.TotalSize, r.FirstPath, r.LastPath, r.Folders)).ToList();
    }

    /// <summary>Index of the first range whose last path is at or after <paramref name="key"/>; the count when none.</summary>
    public static int FirstRangeEndingAtOrAfter(IReadOnlyList<VersionRangeRef> ranges, string key)
    {
        int lo = 0, hi = ranges.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (Utf8PathComparer.Instance.Compare(ranges[mid].LastPath, key) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }

        return lo;
    }

    public static Task<List<RangeEntry>> LoadEntriesAsync(PortalDbContext db, string rangeDigest, int fromOrdinal, int count, CancellationToken ct)
    {
        var to = fromOrdinal + count;
        return db.RangeEntries.AsNoTracking()
            .Where(e => e.RangeDigest == rangeDigest && e.Ordinal >= fromOrdinal && e.Ordinal < to)
            .OrderBy(e => e.Ordinal)
            .ToListAsync(ct);
    }

    /// <summary>A range's entries as manifest entries, in order, without the columns that only identify the row.</summary>
    public static Task<List<ManifestEntry>> LoadRangeEntriesAsync(PortalDbContext db, string rangeDigest, CancellationToken ct) =>
        db.RangeEntries.AsNoTracking().Where(e => e.RangeDigest == rangeDigest).OrderBy(e => e.Ordinal)
            .Select(e => new ManifestEntry(e.Path, e.Digest, e.Size, e.Ref, e.ExtraJson))
            .ToListAsync(ct);

    public static Task<List<RangeEntry>> LoadRangeAsync(PortalDbContext db, string rangeDigest, CancellationToken ct) =>
        db.RangeEntries.AsNoTracking().Where(e => e.RangeDigest == rangeDigest).OrderBy(e => e.Ordinal).ToListAsync(ct);

    /// <summary>
    /// Ordinal of the first entry of the range whose path is at or after <paramref name="key"/>, or -1 when every
    /// path in the range is before it.
    /// </summary>
    public static async Task<int> SeekAsync(PortalDbContext db, VersionRangeRef range, string key, CancellationToken ct)
    {
        var window = await SeekWindowAsync(db, range, key, marksCache: null, ct);
        return window is { Count: > 0 } ? window[0].Ordinal : -1;
    }

    /// <summary>
    /// The entries of the range from the first one at or after <paramref name="key"/> to the end of its 64-entry
    /// window (empty when every path in the range is before the key). Two small queries — every 64th path of the
    /// range (kept in <paramref name="marksCache"/> for the next seek in the same range), then the window — and the
    /// window doubles as the first batch of entries, so a seek that lands on a folder costs no extra read.
    /// </summary>
    public static async Task<List<RangeEntry>> SeekWindowAsync(
        PortalDbContext db, VersionRangeRef range, string key, Dictionary<string, List<(int Ordinal, string Path)>>? marksCache, CancellationToken ct)
    {
        var comparer = Utf8PathComparer.Instance;
        if (comparer.Compare(range.LastPath, key) < 0)
            return [];
        var start = -1;
        if (comparer.Compare(range.FirstPath, key) < 0)
        {
            if (marksCache is null || !marksCache.TryGetValue(range.Digest, out var marks))
            {
                marks = (await db.RangeEntries.AsNoTracking()
                        .Where(e => e.RangeDigest == range.Digest && e.Ordinal % SeekStride == 0)
                        .OrderBy(e => e.Ordinal)
                        .Select(e => new { e.Ordinal, e.Path })
                        .ToListAsync(ct))
                    .Select(m => (m.Ordinal, m.Path))
                    .ToList();
                marksCache?.Add(range.Digest, marks);
            }

            foreach (var mark in marks)
            {
                if (comparer.Compare(mark.Path, key) >= 0)
                    break;
                start = mark.Ordinal;
            }
        }

        var window = await db.RangeEntries.AsNoTracking()
            .Where(e => e.RangeDigest == range.Digest && e.Ordinal > start && e.Ordinal <= start + SeekStride)
            .OrderBy(e => e.Ordinal)
            .ToListAsync(ct);
        var first = window.FindIndex(e => comparer.Compare(e.Path, key) >= 0);
        return first < 0 ? [] : window.GetRange(first, window.Count - first);
    }

    /// <summary>
    /// Loads, in one query, the seek marks (every 64th path) of those <paramref name="ranges"/> that
    /// <paramref name="marksCache"/> lacks. A listing that jumps from folder to folder seeks in range after range; this
    /// turns its one marks query per range into one per <paramref name="ranges"/> batch.
    /// </summary>
    public static async Task PrefetchMarksAsync(
        PortalDbContext db, IEnumerable<VersionRangeRef> ranges, Dictionary<string, List<(int Ordinal, string Path)>> marksCache, CancellationToken ct)
    {
        var wanted = ranges.Select(r => r.Digest).Where(d => !marksCache.ContainsKey(d)).Distinct(StringComparer.Ordinal).ToList();
        if (wanted.Count == 0)
            return;
        var rows = await db.RangeEntries.AsNoTracking()
            .Where(e => wanted.Contains(e.RangeDigest) && e.Ordinal % SeekStride == 0)
            .Select(e => new { e.RangeDigest, e.Ordinal, e.Path })
            .ToListAsync(ct);
        foreach (var digest in wanted)
            marksCache[digest] = [];
        foreach (var row in rows.OrderBy(r => r.Ordinal))
            marksCache[row.RangeDigest].Add((row.Ordinal, row.Path));
    }

    /// <summary>The entry at exactly <paramref name="path"/>, or null.</summary>
    public static async Task<RangeEntry?> FindEntryAsync(PortalDbContext db, IReadOnlyList<VersionRangeRef> ranges, string path, CancellationToken ct)
    {
        var index = FirstRangeEndingAtOrAfter(ranges, path);
        if (index == ranges.Count || Utf8PathComparer.Instance.Compare(ranges[index].FirstPath, path) > 0)
            return null;
        var digest = ranges[index].Digest;
        // Equality in SQL may be case- or accent-insensitive (SQL Server's default collation): confirm it here.
        var candidates = await db.RangeEntries.AsNoTracking().Where(e => e.RangeDigest == digest && e.Path == path).ToListAsync(ct);
        return candidates.FirstOrDefault(e => string.Equals(e.Path, path, StringComparison.Ordinal));
    }

    /// <summary>Every entry of the version in path order, a range at a time.</summary>
    public static async IAsyncEnumerable<RangeEntry> ReadAllAsync(PortalDbContext db, IReadOnlyList<VersionRangeRef> ranges, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        foreach (var range in ranges)
        {
            foreach (var entry in await LoadRangeAsync(db, range.Digest, ct))
                yield return entry;
        }
    }

    /// <summary>
    /// Every file of <paramref name="ranges"/> in path order with only what a comparison needs (path, digest, size and
    /// reference): the range digest (64 characters) and extra JSON of each row are neither read nor allocated.
    /// </summary>
    public static async IAsyncEnumerable<RangeEntry> ReadFilesAsync(PortalDbContext db, IReadOnlyList<VersionRangeRef> ranges, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        foreach (var range in ranges)
        {
            var digest = range.Digest;
            var files = await db.RangeEntries.AsNoTracking()
                .Where(e => e.RangeDigest == digest)
                .OrderBy(e => e.Ordinal)
                .Select(e => new RangeEntry { Path = e.Path, Digest = e.Digest, Size = e.Size, Ref = e.Ref })
                .ToListAsync(ct);
            foreach (var file in files)
                yield return file;
        }
    }
}
