using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts.Manifests;

namespace Portal.Core.Features.Artifacts;

/// <summary>
/// A committed version's files as folders: the children of one folder, a page at a time. A folder whose files span
/// whole ranges is skipped by comparing range bounds in memory; a range holding only subfolders of the listed folder
/// names them in its folder summary (<see cref="RangeFolders"/>); elsewhere the next key is found by seeking, so the
/// first page of a 1,000,000-file version costs a handful of small queries, not a scan.
/// </summary>
public sealed class VersionFiles(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access)
{
    public const int MaxLimit = 1000;
    private const int BatchSize = 256;

    /// <summary>Ranges whose seek marks are loaded together (see <see cref="VersionManifest.PrefetchMarksAsync"/>).</summary>
    private const int MarksPrefetch = 32;

    public async Task<VersionFilesResponse> ListAsync(ClaimsPrincipal user, string slug, Guid versionId, string? folder, string? continuation, int limit, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        if (limit is < 1 or > MaxLimit)
            throw PortalException.BadRequest(ErrorCodes.LimitInvalid, $"limit must be between 1 and {MaxLimit}.");
        var prefix = NormaliseFolder(folder);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await RequireCommittedVersionAsync(db, grant.Project.Id, versionId, ct);
        var ranges = await VersionManifest.LoadRangesAsync(db, versionId, ct);
        var (items, next) = await ListAsync(db, ranges, prefix, ContinuationToken.Decode(continuation), limit, ct);
        return new VersionFilesResponse(versionId, prefix, items, next is null ? null : ContinuationToken.Encode(next));
    }

    /// <summary>"" for the root; otherwise the folder with exactly one trailing '/'.</summary>
    public static string NormaliseFolder(string? folder)
    {
        if (string.IsNullOrEmpty(folder) || folder == "/")
            return "";
        var trimmed = folder.TrimEnd('/');
        ManifestPath.Validate(trimmed);
        return trimmed + "/";
    }

    internal static async Task<(List<VersionFileItem> Items, string? NextKey)> ListAsync(
        PortalDbContext db, IReadOnlyList<VersionRangeRef> ranges, string prefix, string? startKey, int limit, CancellationToken ct)
    {
        var comparer = Utf8PathComparer.Instance;
        // Every path under "a/b/" sorts before "a/b0" ('0' follows '/'), so that is where the folder ends.
        var end = prefix.Length == 0 ? null : prefix[..^1] + "0";
        var cursor = startKey is not null && comparer.Compare(startKey, prefix) > 0 ? startKey : prefix;
        var items = new List<VersionFileItem>(Math.Min(limit, 128));
        var rangeIndex = VersionManifest.FirstRangeEndingAtOrAfter(ranges, cursor);
        List<RangeEntry>? batch = null;
        var at = 0;
        var marks = new Dictionary<string, List<(int Ordinal, string Path)>>(StringComparer.Ordinal);

        while (items.Count < limit && rangeIndex < ranges.Count)
        {
            var range = ranges[rangeIndex];
            if (end is not null && comparer.Compare(range.FirstPath, end) >= 0)
                break;
            if (batch is null || at >= batch.Count)
            {
                // Read on sequentially after a batch; after a jump, seek (whose window is the next batch).
                var readOn = batch is { Count: > 0 } && batch[^1].RangeDigest == range.Digest;
                if (!readOn && range.Folders is { } summary && RangeFolders.Within(summary, prefix) is { HasFiles: false } inside)
                {
                    // Only subfolders of this folder in the range: its summary names them, no entry is read.
                    foreach (var subfolder in inside.Children)
                    {
                        var subfolderEnd = subfolder[..^1] + "0";
                        if (comparer.Compare(subfolderEnd, cursor) <= 0)
                            continue;
                        if (items.Count == limit)
                            break;
                        items.Add(new VersionFileItem("folder", subfolder, subfolder[prefix.Length..^1]));
                        cursor = subfolderEnd;
                    }

                    if (items.Count == limit)
                        break;
                    rangeIndex = Math.Max(rangeIndex + 1, VersionManifest.FirstRangeEndingAtOrAfter(ranges, cursor));
                    batch = null;
                    continue;
                }

                if (!readOn && marks.Count > 0 && !marks.ContainsKey(range.Digest) && comparer.Compare(range.FirstPath, cursor) < 0)
                {
                    // A second seek inside a range in one listing: it is jumping folder after folder, so seeks will
                    // follow in the ranges after this one too. (A listing that seeks once loads one range's marks.)
                    await VersionManifest.PrefetchMarksAsync(db, ranges.Skip(rangeIndex).Take(MarksPrefetch)
                        .TakeWhile(r => end is null || comparer.Compare(r.FirstPath, end) < 0), marks, ct);
                }
                batch = readOn
                    ? batch![^1].Ordinal + 1 < range.EntryCount
                        ? await VersionManifest.LoadEntriesAsync(db, range.Digest, batch[^1].Ordinal + 1, BatchSize, ct)
                        : []
                    : await VersionManifest.SeekWindowAsync(db, range, cursor, marks, ct);
                at = 0;
                if (batch.Count == 0)
                {
                    rangeIndex++;
                    batch = null;
                    continue;
                }
            }

            var entry = batch[at];
            if (comparer.Compare(entry.Path, cursor) < 0)
            {
                at++;
                continue;
            }

            if (end is not null && comparer.Compare(entry.Path, end) >= 0)
                break;
            var rest = entry.Path.AsSpan(prefix.Length);
            var slash = rest.IndexOf('/');
            if (slash < 0)
            {
                items.Add(new VersionFileItem("file", entry.Path, rest.ToString(), entry.Digest, entry.Size, entry.Ref));
                // The smallest path after this one: paths never contain NUL.
                cursor = entry.Path + "\0";
                at++;
                continue;
            }

            var child = prefix + rest[..(slash + 1)].ToString();
            items.Add(new VersionFileItem("folder", child, rest[..slash].ToString()));
            cursor = child[..^1] + "0";
            // Jump past the folder: within the loaded batch if it reaches that far, else by range bounds or a seek.
            if (comparer.Compare(batch[^1].Path, cursor) >= 0)
            {
                while (at < batch.Count && comparer.Compare(batch[at].Path, cursor) < 0)
                    at++;
            }
            else
            {
                batch = null;
                if (comparer.Compare(range.LastPath, cursor) < 0)
                    rangeIndex = VersionManifest.FirstRangeEndingAtOrAfter(ranges, cursor);
            }
        }

        var more = items.Count == limit && await HasMoreAsync(db, ranges, cursor, end, ct);
        return (items, more ? cursor : null);
    }

    private static async Task<bool> HasMoreAsync(PortalDbContext db, IReadOnlyList<VersionRangeRef> ranges, string cursor, string? end, CancellationToken ct)
    {
        var index = VersionManifest.FirstRangeEndingAtOrAfter(ranges, cursor);
        if (index == ranges.Count)
            return false;
        var ordinal = await VersionManifest.SeekAsync(db, ranges[index], cursor, ct);
        if (ordinal < 0)
            return false;
        if (end is null)
            return true;
        var next = await VersionManifest.LoadEntriesAsync(db, ranges[index].Digest, ordinal, 1, ct);
        return next.Count == 1 && Utf8PathComparer.Instance.Compare(next[0].Path, end) < 0;
    }

    internal static async Task<ArtifactVersion> RequireCommittedVersionAsync(PortalDbContext db, Guid projectId, Guid versionId, CancellationToken ct) =>
        await db.ArtifactVersions.AsNoTracking()
            .Where(v => v.Id == versionId && v.State == VersionState.Committed && v.Artifact.ProjectId == projectId)
            .SingleOrDefaultAsync(ct)
        ?? throw PortalException.NotFound(ErrorCodes.VersionNotFound, $"No committed version {versionId} exists in this project.");
}
