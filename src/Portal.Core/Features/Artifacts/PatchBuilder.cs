using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts.Manifests;

namespace Portal.Core.Features.Artifacts;

/// <summary>
/// Builds the manifest of "base version + patch" touching only the ranges the patch lands in. Range boundaries
/// depend on paths (and on the 4,096-entry cap counted from a range's start), so a base range the patch does not
/// touch, met at a range boundary, is still a range of the result and is appended by digest without reading it.
/// Touched ranges are read, patched and re-cut; re-cutting runs on into following ranges only until a boundary
/// lines up again. Cost: the ranges changed, not the size of the version.
/// </summary>
public static class PatchBuilder
{
    public static async Task<ManifestSummary> BuildAsync(
        IDbContextFactory<PortalDbContext> dbFactory,
        Guid baseVersionId,
        ManifestPatch patch,
        Func<BuiltRange, CancellationToken, ValueTask> onRange,
        CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var ranges = await VersionManifest.LoadRangesAsync(db, baseVersionId, ct);
        if (ranges.Count == 0)
            return await ManifestRangeBuilder.BuildAsync(patch.Apply([]).ToAsyncEnumerable(), onRange, ct);

        // Each patched path belongs to the first range ending at or after it (paths past the end go to the last).
        int RangeOf(string path) => Math.Min(VersionManifest.FirstRangeEndingAtOrAfter(ranges, path), ranges.Count - 1);
        var upserts = patch.Upserts.GroupBy(e => RangeOf(e.Path)).ToDictionary(g => g.Key, g => g.ToList());
        var deletes = patch.Deletes.GroupBy(RangeOf).ToDictionary(g => g.Key, g => g.ToList());

        using var builder = new ManifestRangeBuilder();
        for (var i = 0; i < ranges.Count; i++)
        {
            var range = ranges[i];
            var touched = upserts.ContainsKey(i) || deletes.ContainsKey(i);
            if (!touched && builder.AtRangeBoundary)
            {
                builder.AddStoredRange(range.Digest, range.EntryCount, range.TotalSize, range.FirstPath, range.LastPath);
                continue;
            }

            var stored = await VersionManifest.LoadRangeEntriesAsync(db, range.Digest, ct);
            var entries = touched
                ? new ManifestPatch(upserts.GetValueOrDefault(i) ?? [], deletes.GetValueOrDefault(i) ?? []).Apply(stored)
                : stored;
            foreach (var entry in entries)
            {
                if (builder.Add(entry) is { } closed)
                    await onRange(closed, ct);
            }
        }

        var (final, summary) = builder.Complete();
        if (final is not null)
            await onRange(final, ct);

        // Untouched ranges were appended unread; where one of them may hold a file that an upsert needs as a
        // folder (or the other way round), its entries decide.
        if (builder.PathConflictSuspects.Count > 0)
        {
            var entries = new Dictionary<string, IReadOnlyList<ManifestEntry>>(StringComparer.Ordinal);
            foreach (var digest in builder.PathConflictSuspects.SelectMany(s => new[] { s.FileRange, s.InsideRange }).OfType<string>().Distinct(StringComparer.Ordinal))
                entries[digest] = await VersionManifest.LoadRangeEntriesAsync(db, digest, ct);
            foreach (var suspect in builder.PathConflictSuspects)
            {
                if (suspect.Confirm(entries) is { } inside)
                    throw PathConflicts.Conflict(suspect.File, inside);
            }
        }
        return summary;
    }
}
