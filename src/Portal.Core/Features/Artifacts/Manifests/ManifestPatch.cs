using System.Runtime.CompilerServices;
using Portal.Client;

namespace Portal.Core.Features.Artifacts.Manifests;

/// <summary>
/// Changes to a base version: entries to add or replace (<see cref="Upserts"/>) and paths to remove
/// (<see cref="Deletes"/>). Applying it merge-joins the patch with the base's sorted entries, so the result is sorted
/// and the cost is one pass over the base.
/// </summary>
/// <remarks>
/// The patch itself is held in memory (it is the size of the change); the base and the result are streams.
/// </remarks>
public sealed class ManifestPatch
{
    /// <summary>Validates and sorts the patch.</summary>
    /// <exception cref="PortalException">400 <c>path_duplicate</c> when a path appears twice among the upserts, twice
    /// among the deletes, or in both; otherwise an entry or path validation code.</exception>
    public ManifestPatch(IEnumerable<ManifestEntry> upserts, IEnumerable<string> deletes)
    {
        var sortedUpserts = upserts.ToList();
        foreach (var entry in sortedUpserts)
            entry.Validate();
        sortedUpserts.Sort(static (a, b) => Utf8PathComparer.Instance.Compare(a.Path, b.Path));
        RejectDuplicates(sortedUpserts.Select(e => e.Path), "is upserted more than once");

        var sortedDeletes = deletes.ToList();
        foreach (var path in sortedDeletes)
            ManifestPath.Validate(path);
        sortedDeletes.Sort(Utf8PathComparer.Instance);
        RejectDuplicates(sortedDeletes, "is deleted more than once");

        var deleted = new HashSet<string>(sortedDeletes, StringComparer.Ordinal);
        if (sortedUpserts.FirstOrDefault(e => deleted.Contains(e.Path)) is { } both)
            throw Duplicate(both.Path, "is both upserted and deleted");

        Upserts = sortedUpserts.AsReadOnly();
        Deletes = sortedDeletes.AsReadOnly();
    }

    /// <summary>Entries to add or replace, sorted by path.</summary>
    public IReadOnlyList<ManifestEntry> Upserts { get; }

    /// <summary>Paths to remove, sorted; each must exist in the base.</summary>
    public IReadOnlyList<string> Deletes { get; }

    public bool IsEmpty => Upserts.Count == 0 && Deletes.Count == 0;

    /// <summary>The base with this patch applied, in path order.</summary>
    /// <exception cref="PortalException">400 <c>patch_path_missing</c> when a deleted path is not in the base;
    /// <c>manifest_unsorted</c>/<c>path_duplicate</c> when the base is not strictly sorted.</exception>
    public IEnumerable<ManifestEntry> Apply(IEnumerable<ManifestEntry> sortedBase)
    {
        var merge = new MergeJoin(this);
        var output = new List<ManifestEntry>(4);
        foreach (var baseEntry in sortedBase)
        {
            merge.Step(baseEntry, output);
            foreach (var entry in output)
                yield return entry;
        }
        merge.Finish(output);
        foreach (var entry in output)
            yield return entry;
    }

    /// <inheritdoc cref="Apply"/>
    public async IAsyncEnumerable<ManifestEntry> ApplyAsync(
        IAsyncEnumerable<ManifestEntry> sortedBase, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var merge = new MergeJoin(this);
        var output = new List<ManifestEntry>(4);
        await foreach (var baseEntry in sortedBase.WithCancellation(cancellationToken))
        {
            merge.Step(baseEntry, output);
            foreach (var entry in output)
                yield return entry;
        }
        merge.Finish(output);
        foreach (var entry in output)
            yield return entry;
    }

    private static void RejectDuplicates(IEnumerable<string> sortedPaths, string problem)
    {
        string? previous = null;
        foreach (var path in sortedPaths)
        {
            if (previous is not null && string.Equals(previous, path, StringComparison.Ordinal))
                throw Duplicate(path, problem);
            previous = path;
        }
    }

    private static PortalException Duplicate(string path, string problem) =>
        PortalException.BadRequest(
            ErrorCodes.PathDuplicate,
            $"Path {ManifestPath.Display(path)} {problem} in the patch.",
            new Dictionary<string, object?> { ["path"] = path });

    private static PortalException Missing(string path) =>
        PortalException.BadRequest(
            ErrorCodes.PatchPathMissing,
            $"Cannot delete path {ManifestPath.Display(path)}: the base version has no such path.",
            new Dictionary<string, object?> { ["path"] = path });

    /// <summary>The merge-join state shared by the sync and async forms.</summary>
    private sealed class MergeJoin(ManifestPatch patch)
    {
        private int _upsert;
        private int _delete;
        private string? _previousBasePath;

        /// <summary>Puts into <paramref name="output"/> what goes out for this base entry (inserts before it, then it or its replacement).</summary>
        public void Step(ManifestEntry baseEntry, List<ManifestEntry> output)
        {
            output.Clear();
            var path = baseEntry.Path;
            CheckBaseOrder(path);

            var upserts = patch.Upserts;
            while (_upsert < upserts.Count && Utf8PathComparer.Instance.Compare(upserts[_upsert].Path, path) < 0)
                output.Add(upserts[_upsert++]);

            var deletes = patch.Deletes;
            if (_delete < deletes.Count)
            {
                var order = Utf8PathComparer.Instance.Compare(deletes[_delete], path);
                if (order < 0)
                    throw Missing(deletes[_delete]);
                if (order == 0)
                {
                    _delete++;
                    return;
                }
            }

            if (_upsert < upserts.Count && string.Equals(upserts[_upsert].Path, path, StringComparison.Ordinal))
                output.Add(upserts[_upsert++]);
            else
                output.Add(baseEntry);
        }

        public void Finish(List<ManifestEntry> output)
        {
            output.Clear();
            if (_delete < patch.Deletes.Count)
                throw Missing(patch.Deletes[_delete]);
            for (; _upsert < patch.Upserts.Count; _upsert++)
                output.Add(patch.Upserts[_upsert]);
        }

        private void CheckBaseOrder(string path)
        {
            if (_previousBasePath is not null)
            {
                var order = Utf8PathComparer.Instance.Compare(_previousBasePath, path);
                if (order == 0)
                    throw ManifestRangeBuilder.DuplicatePath(path);
                if (order > 0)
                {
                    throw PortalException.BadRequest(
                        ErrorCodes.ManifestUnsorted,
                        $"The base manifest is not sorted: {ManifestPath.Display(path)} comes after {ManifestPath.Display(_previousBasePath)}.",
                        new Dictionary<string, object?> { ["path"] = path, ["previousPath"] = _previousBasePath });
                }
            }
            _previousBasePath = path;
        }
    }
}
