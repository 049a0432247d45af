using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts.Manifests;

namespace Portal.Core.Features.Artifacts;

public static class DiffChange
{
    public const string Added = "added";
    public const string Removed = "removed";
    public const string Modified = "modified";
    public const string Renamed = "renamed";
}

/// <summary>
/// What changed between two versions (of any artifacts the user can read). Ranges with equal digests hold equal
/// entries, so they are skipped without reading; a path can only differ inside a range that one side does not share,
/// so merging the unshared ranges of both sides in path order finds every change. The cost follows the size of the
/// change, not of the versions.
/// </summary>
public sealed class VersionDiff(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access)
{
    public const int MaxLimit = 5000;

    public async Task<VersionDiffResponse> DiffAsync(
        ClaimsPrincipal user, string fromProject, Guid fromVersionId, string toProject, Guid toVersionId,
        string? change, string? continuation, int limit, CancellationToken ct = default)
    {
        if (limit is < 1 or > MaxLimit)
            throw PortalException.BadRequest(ErrorCodes.LimitInvalid, $"limit must be between 1 and {MaxLimit}.");
        if (change is not null && change is not (DiffChange.Added or DiffChange.Removed or DiffChange.Modified or DiffChange.Renamed))
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, $"'{change}' is not a kind of change; use added, removed, modified or renamed.");
        var fromGrant = await access.RequireAsync(user, fromProject, ProjectRole.Viewer, ct);
        var toGrant = fromProject == toProject ? fromGrant : await access.RequireAsync(user, toProject, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await VersionFiles.RequireCommittedVersionAsync(db, fromGrant.Project.Id, fromVersionId, ct);
        await VersionFiles.RequireCommittedVersionAsync(db, toGrant.Project.Id, toVersionId, ct);
        var (items, summary) = await ComputeAsync(db, fromVersionId, toVersionId, ct);

        var after = ContinuationToken.Decode(continuation);
        var filtered = items.Where(i => change is null || i.Change == change)
            .Where(i => after is null || Utf8PathComparer.Instance.Compare(i.Path, after) > 0)
            .Take(limit + 1)
            .ToList();
        var next = filtered.Count > limit ? ContinuationToken.Encode(filtered[limit - 1].Path) : null;
        return new VersionDiffResponse(fromVersionId, toVersionId, summary, filtered.Take(limit).ToList(), next);
    }

    /// <summary>Every change, sorted by path, and the counts.</summary>
    public static async Task<(List<VersionDiffItem> Items, VersionDiffSummary Summary)> ComputeAsync(PortalDbContext db, Guid fromVersionId, Guid toVersionId, CancellationToken ct)
    {
        var from = await VersionManifest.LoadRangesAsync(db, fromVersionId, ct);
        var to = await VersionManifest.LoadRangesAsync(db, toVersionId, ct);
        var fromDigests = from.Select(r => r.Digest).ToHashSet(StringComparer.Ordinal);
        var toDigests = to.Select(r => r.Digest).ToHashSet(StringComparer.Ordinal);
        var fromOnly = from.Where(r => !toDigests.Contains(r.Digest)).ToList();
        var toOnly = to.Where(r => !fromDigests.Contains(r.Digest)).ToList();
        var shared = from.Count - fromOnly.Count;

        var removed = new List<RangeEntry>();
        var added = new List<RangeEntry>();
        var changes = new List<VersionDiffItem>();
        var comparer = Utf8PathComparer.Instance;
        await using (var left = VersionManifest.ReadFilesAsync(db, fromOnly, ct).GetAsyncEnumerator(ct))
        await using (var right = VersionManifest.ReadFilesAsync(db, toOnly, ct).GetAsyncEnumerator(ct))
        {
            var hasLeft = await left.MoveNextAsync();
            var hasRight = await right.MoveNextAsync();
            while (hasLeft || hasRight)
            {
                var order = !hasLeft ? 1 : !hasRight ? -1 : comparer.Compare(left.Current.Path, right.Current.Path);
                if (order < 0)
                {
                    removed.Add(left.Current);
                    hasLeft = await left.MoveNextAsync();
                }
                else if (order > 0)
                {
                    added.Add(right.Current);
                    hasRight = await right.MoveNextAsync();
                }
                else
                {
                    var a = left.Current;
                    var b = right.Current;
                    if (a.Digest != b.Digest || a.Size != b.Size || a.Ref != b.Ref)
                        changes.Add(new VersionDiffItem(DiffChange.Modified, b.Path, null, a.Digest, b.Digest, a.Size, b.Size));
                    hasLeft = await left.MoveNextAsync();
                    hasRight = await right.MoveNextAsync();
                }
            }
        }

        // Same bytes under a new path is a rename; each removed file pairs with at most one added file.
        var removedByDigest = removed.GroupBy(e => e.Digest, StringComparer.Ordinal).ToDictionary(g => g.Key, g => new Queue<RangeEntry>(g), StringComparer.Ordinal);
        var renamedFrom = new HashSet<string>(StringComparer.Ordinal);
        var renamed = 0;
        foreach (var entry in added)
        {
            if (removedByDigest.TryGetValue(entry.Digest, out var queue) && queue.Count > 0)
            {
                var old = queue.Dequeue();
                renamedFrom.Add(old.Path);
                changes.Add(new VersionDiffItem(DiffChange.Renamed, entry.Path, old.Path, old.Digest, entry.Digest, old.Size, entry.Size));
                renamed++;
            }
            else
            {
                changes.Add(new VersionDiffItem(DiffChange.Added, entry.Path, null, null, entry.Digest, null, entry.Size));
            }
        }

        foreach (var entry in removed.Where(e => !renamedFrom.Contains(e.Path)))
            changes.Add(new VersionDiffItem(DiffChange.Removed, entry.Path, null, entry.Digest, null, entry.Size, null));
        changes.Sort((x, y) => comparer.Compare(x.Path, y.Path));
        var summary = new VersionDiffSummary(
            changes.Count(c => c.Change == DiffChange.Added),
            changes.Count(c => c.Change == DiffChange.Removed),
            changes.Count(c => c.Change == DiffChange.Modified),
            renamed,
            shared,
            fromOnly.Count + toOnly.Count);
        return (changes, summary);
    }
}
