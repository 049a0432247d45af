using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Artifacts.Manifests;
using Portal.Core.Storage;

namespace Portal.Core.Features.Changes;

/// <summary>One record of the feed and, for added and changed rows when bodies are wanted, the row's canonical JSON.</summary>
public sealed record ChangeEvent(ChangeRecord Record, byte[]? Row = null, long Sequence = 0);

/// <summary>What a feed compares, checked and planned before the first byte is sent (so refusals are problem details).</summary>
public sealed record ChangeFeedPlan(Guid FromVersionId, Guid ToVersionId, IReadOnlyList<ChangeFeedFile> Files, long ToFileCount, long ResumeAfter);

/// <summary>A path that differs between the versions, with what each side holds (null: nothing).</summary>
public sealed record ChangeFeedFile(string Path, string? OldPath, string? OldDigest, long OldSize, bool OldIsRef, string? NewDigest, long NewSize, bool NewIsRef, string Change);

/// <summary>
/// The chunk-level change feed: every row added, changed or removed between two versions, across all their files.
/// The file-level diff (<see cref="VersionDiff"/>) walks the two manifests' range lists and skips shared ranges, so
/// unchanged files are never listed, let alone read; only files that differ are read, each once. Rows of the old side
/// are held as (identity → digest, place); rows of the new side stream past them and are reported as they come, then
/// the old rows nobody claimed are reported removed. A row's identity is its key column's value (the column given,
/// else the one the row diff detects), or its <see cref="RowDigest"/> in files without one, so a row that moved to
/// another file with the same key and content is unchanged, and a renamed file (same bytes) is not read at all.
/// The records come in a fixed order (file-level records, old-side problems, new-side rows by path and line, removed
/// rows by path and line, end); the cursor of a record is its position in that order, which is what lets a client
/// resume: the feed is recomputed and the records up to the cursor are not sent again.
/// </summary>
public sealed class ChangeFeed(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access, IBlobStore blobs)
{
    public async Task<ChangeFeedPlan> PlanAsync(ClaimsPrincipal user, string slug, Guid fromVersionId, Guid toVersionId, string? continuation, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await VersionFiles.RequireCommittedVersionAsync(db, grant.Project.Id, fromVersionId, ct);
        var to = await VersionFiles.RequireCommittedVersionAsync(db, grant.Project.Id, toVersionId, ct);
        var resumeAfter = ChangeCursor.Decode(continuation, fromVersionId, toVersionId);
        var (items, _) = await VersionDiff.ComputeAsync(db, fromVersionId, toVersionId, ct);

        // References (bytes outside Portal) cannot be read; the diff items do not say which entries are references.
        IReadOnlyList<VersionRangeRef>? fromRanges = null, toRanges = null;
        var files = new List<ChangeFeedFile>(items.Count);
        foreach (var item in items)
        {
            var oldPath = item.Change == DiffChange.Renamed ? item.OldPath! : item.Path;
            var oldIsRef = false;
            var newIsRef = false;
            if (item.OldDigest is not null && TabularRows.FormatOf(oldPath) != RowFormat.None)
            {
                fromRanges ??= await VersionManifest.LoadRangesAsync(db, fromVersionId, ct);
                oldIsRef = (await VersionManifest.FindEntryAsync(db, fromRanges, oldPath, ct))?.Ref is not null;
            }

            if (item.NewDigest is not null && TabularRows.FormatOf(item.Path) != RowFormat.None)
            {
                toRanges ??= await VersionManifest.LoadRangesAsync(db, toVersionId, ct);
                newIsRef = (await VersionManifest.FindEntryAsync(db, toRanges, item.Path, ct))?.Ref is not null;
            }

            files.Add(new ChangeFeedFile(item.Path, item.Change == DiffChange.Renamed ? item.OldPath : null, item.OldDigest, item.OldSize ?? 0, oldIsRef,
                item.NewDigest, item.NewSize ?? 0, newIsRef, item.Change));
        }

        return new ChangeFeedPlan(fromVersionId, toVersionId, files, to.FileCount, resumeAfter);
    }

    /// <summary>The counts only (no records kept): for the version page's "since vN" line.</summary>
    public async Task<ChangeFeedSummary> SummarizeAsync(ClaimsPrincipal user, string slug, Guid fromVersionId, Guid toVersionId, CancellationToken ct = default)
    {
        var plan = await PlanAsync(user, slug, fromVersionId, toVersionId, null, ct);
        ChangeFeedSummary? summary = null;
        await foreach (var change in ReadAsync(plan with { ResumeAfter = long.MaxValue }, null, rows: false, ct))
            summary = change.Record.Summary;
        return summary!;
    }

    /// <summary>
    /// The records after the plan's resume point, in the feed's fixed order; the last is always the end record with the
    /// counts of the whole feed. <paramref name="rows"/> false leaves the row bodies out.
    /// </summary>
    public async IAsyncEnumerable<ChangeEvent> ReadAsync(ChangeFeedPlan plan, string? keyColumn, bool rows, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var change in ComputeAsync(plan, keyColumn, rows, ct))
        {
            if (change.Sequence > plan.ResumeAfter || change.Record.Op == ChangeOps.End)
                yield return change;
        }
    }

    private async IAsyncEnumerable<ChangeEvent> ComputeAsync(ChangeFeedPlan plan, string? keyColumn, bool rows, [EnumeratorCancellation] CancellationToken ct)
    {
        var run = new FeedRun(plan);
        var oldFiles = new List<ChangeFeedFile>();
        var newFiles = new List<ChangeFeedFile>();
        int filesAdded = 0, filesChanged = 0, filesRemoved = 0, filesRenamed = 0;
        foreach (var file in plan.Files)
        {
            var oldReadable = file.OldDigest is not null && !file.OldIsRef && TabularRows.FormatOf(file.OldPath ?? file.Path) != RowFormat.None;
            var newReadable = file.NewDigest is not null && !file.NewIsRef && TabularRows.FormatOf(file.Path) != RowFormat.None;
            switch (file.Change)
            {
                case DiffChange.Renamed:
                    filesRenamed++;
                    // Same bytes: a tabular file's rows are all unchanged (moved); others are reported as moved files.
                    if (!(oldReadable && newReadable))
                        yield return run.Next(new ChangeRecord(ChangeOps.Renamed, ChangeLevels.File, file.Path, PreviousPath: file.OldPath, FileDigest: file.NewDigest));
                    continue;
                case DiffChange.Added:
                    filesAdded++;
                    break;
                case DiffChange.Removed:
                    filesRemoved++;
                    break;
                default:
                    filesChanged++;
                    break;
            }

            if (oldReadable)
                oldFiles.Add(file);
            if (newReadable)
                newFiles.Add(file);
            var fileLevel = (file.OldDigest is not null && !oldReadable) || (file.NewDigest is not null && !newReadable);
            if (!fileLevel)
                continue;
            // A file not read row by row (or one that turned from rows into something else): one file-level record.
            var op = file.OldDigest is null || oldReadable ? ChangeOps.Added : file.NewDigest is null || newReadable ? ChangeOps.Removed : ChangeOps.Changed;
            yield return run.Next(new ChangeRecord(op, ChangeLevels.File, file.Path, FileDigest: op == ChangeOps.Removed ? file.OldDigest : file.NewDigest));
        }

        // The old side: identity → its rows (normally one), in path and line order.
        var oldRows = new Dictionary<string, List<OldRow>>(StringComparer.Ordinal);
        var allOld = new List<OldRow>();
        foreach (var file in oldFiles)
        {
            var path = file.OldPath ?? file.Path;
            await foreach (var batch in ReadFileAsync(run, path, file.OldDigest!, keyColumn, ct))
            {
                var problems = new List<ChangeRecord>();
                foreach (var row in batch)
                {
                    if (row.Error is not null)
                    {
                        run.Malformed++;
                        problems.Add(Malformed(path, row, "from"));
                        continue;
                    }

                    var identity = Identity(row);
                    var old = new OldRow(path, row.Line, row.Digest, row.Key, row.KeyColumn);
                    allOld.Add(old);
                    if (oldRows.TryGetValue(identity, out var same))
                    {
                        if (row.Key is not null)
                        {
                            run.DuplicateKeys++;
                            problems.Add(Duplicate(path, row, "from", same[0].Path, same[0].Line));
                        }

                        same.Add(old);
                    }
                    else
                    {
                        oldRows.Add(identity, [old]);
                    }
                }

                foreach (var problem in problems)
                    yield return run.Next(problem);
            }
        }

        // The new side streams: each row is reported as it is read.
        var seenKeys = new Dictionary<string, (string Path, long Line)>(StringComparer.Ordinal);
        foreach (var file in newFiles)
        {
            await foreach (var batch in ReadFileAsync(run, file.Path, file.NewDigest!, keyColumn, ct))
            {
                var records = new List<ChangeEvent>();
                foreach (var row in batch)
                {
                    if (row.Error is not null)
                    {
                        run.Malformed++;
                        records.Add(new ChangeEvent(Malformed(file.Path, row, "to")));
                        continue;
                    }

                    var identity = Identity(row);
                    if (row.Key is not null)
                    {
                        if (seenKeys.TryGetValue(identity, out var first))
                        {
                            run.DuplicateKeys++;
                            records.Add(new ChangeEvent(Duplicate(file.Path, row, "to", first.Path, first.Line)));
                        }
                        else
                        {
                            seenKeys.Add(identity, (file.Path, row.Line));
                        }
                    }

                    var digest = row.Digest;
                    OldRow? match = null;
                    if (oldRows.TryGetValue(identity, out var candidates))
                        match = candidates.Find(o => !o.Matched && o.Digest == digest) ?? candidates.Find(o => !o.Matched);
                    if (match is not null && match.Digest == digest)
                    {
                        match.Matched = true;
                        run.Unchanged++;
                        continue;
                    }

                    var body = rows ? row.Canonical : null;
                    if (match is not null)
                    {
                        match.Matched = true;
                        run.Changed++;
                        records.Add(new ChangeEvent(new ChangeRecord(ChangeOps.Changed, ChangeLevels.Row, file.Path, row.Key, row.KeyColumn, digest,
                            Line: row.Line, PreviousPath: match.Path, PreviousRowDigest: match.Digest), body));
                    }
                    else
                    {
                        run.Added++;
                        records.Add(new ChangeEvent(new ChangeRecord(ChangeOps.Added, ChangeLevels.Row, file.Path, row.Key, row.KeyColumn, digest, Line: row.Line), body));
                    }
                }

                foreach (var record in records)
                    yield return run.Next(record.Record, record.Row);
            }
        }

        foreach (var old in allOld)
        {
            if (old.Matched)
                continue;
            run.Removed++;
            yield return run.Next(new ChangeRecord(ChangeOps.Removed, ChangeLevels.Row, old.Path, old.Key, old.KeyColumn, old.Digest, Line: old.Line));
        }

        var summary = new ChangeFeedSummary(plan.FromVersionId, plan.ToVersionId, run.Added, run.Changed, run.Removed, run.Unchanged, run.DuplicateKeys, run.Malformed,
            filesAdded, filesChanged, filesRemoved, filesRenamed, run.FilesRead, run.BytesRead, Math.Max(0, plan.ToFileCount - newFiles.Count));
        yield return run.End(new ChangeRecord(ChangeOps.End, Summary: summary));
    }

    private static string Identity(TabularRow row) =>
        row.Key is null ? "d\0" + row.Digest : "k\0" + row.KeyColumn + "\0" + row.Key;

    private static ChangeRecord Malformed(string path, TabularRow row, string side) =>
        new(ChangeOps.Malformed, Path: path, Line: row.Line, Side: side, Message: row.Error);

    private static ChangeRecord Duplicate(string path, TabularRow row, string side, string firstPath, long firstLine) =>
        new(ChangeOps.DuplicateKey, Path: path, Key: row.Key, KeyColumn: row.KeyColumn, RowDigest: row.Digest, Line: row.Line, Side: side,
            Message: $"Key {row.KeyColumn} = '{row.Key}' is already used at {firstPath} line {firstLine}; each row is still compared by key and content, not merged.");

    /// <summary>A file's rows in batches; a file that fails part-way ends with one malformed row saying why.</summary>
    private async IAsyncEnumerable<List<TabularRow>> ReadFileAsync(FeedRun run, string path, string digest, string? keyColumn, [EnumeratorCancellation] CancellationToken ct)
    {
        run.FilesRead++;
        await using var counted = new CountingStream(await blobs.OpenReadAsync(digest, false, ct), n => run.BytesRead += n);
        await using var batches = TabularRows.ReadAsync(counted, path, keyColumn, ct).GetAsyncEnumerator(ct);
        while (true)
        {
            List<TabularRow> batch;
            var failed = false;
            try
            {
                if (!await batches.MoveNextAsync())
                    yield break;
                batch = batches.Current;
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or NotSupportedException or JsonException && !ct.IsCancellationRequested)
            {
                // A gzip stream cut short, a Parquet column type it cannot read …: say so on the file's record stream.
                batch = [new TabularRow(0, null, null, null, "The file could not be read to its end: " + ex.Message)];
                failed = true;
            }

            yield return batch;
            if (failed)
                yield break;
        }
    }

    private sealed class OldRow(string path, long line, string digest, string? key, string? keyColumn)
    {
        public string Path { get; } = path;

        public long Line { get; } = line;

        public string Digest { get; } = digest;

        public string? Key { get; } = key;

        public string? KeyColumn { get; } = keyColumn;

        public bool Matched { get; set; }
    }

    private sealed class FeedRun(ChangeFeedPlan plan)
    {
        private long _sequence;

        public long Added;
        public long Changed;
        public long Removed;
        public long Unchanged;
        public long DuplicateKeys;
        public long Malformed;
        public int FilesRead;
        public long BytesRead;

        /// <summary>Numbers the record and gives it the cursor that resumes after it.</summary>
        public ChangeEvent Next(ChangeRecord record, byte[]? row = null)
        {
            _sequence++;
            var cursor = _sequence > plan.ResumeAfter ? ChangeCursor.Encode(_sequence, plan.FromVersionId, plan.ToVersionId) : null;
            return new ChangeEvent(record with { Cursor = cursor }, row, _sequence);
        }

        public ChangeEvent End(ChangeRecord record) => Next(record);
    }
}
