using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using Portal.Client.Models;

namespace Portal.Client;

public sealed partial class PortalClient
{
    private static string VersionPath(string slug, Guid versionId) => $"api/v1/projects/{Escape(slug)}/versions/{versionId}";

    /// <summary>One page of the folders and files directly inside <paramref name="folder"/> ("" for the root).</summary>
    public Task<VersionFilesResponse> ListVersionFilesAsync(string slug, Guid versionId, string? folder = null, string? continuation = null, int? limit = null, CancellationToken ct = default) =>
        GetAsync<VersionFilesResponse>(VersionPath(slug, versionId) + "/files" + Query(
            ("path", folder), ("continuation", continuation), ("limit", limit?.ToString(CultureInfo.InvariantCulture))), ct);

    /// <summary>
    /// Every file of a version, folder by folder (each folder a page at a time). Files come in path order within a
    /// folder; folders are visited depth-first.
    /// </summary>
    public async IAsyncEnumerable<VersionFileItem> ListAllVersionFilesAsync(string slug, Guid versionId, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var folders = new Stack<string>();
        folders.Push("");
        while (folders.TryPop(out var folder))
        {
            string? continuation = null;
            var children = new List<string>();
            do
            {
                var page = await ListVersionFilesAsync(slug, versionId, folder, continuation, 1000, ct).ConfigureAwait(false);
                foreach (var item in page.Items)
                {
                    if (item.Kind == "folder")
                        children.Add(item.Path);
                    else
                        yield return item;
                }

                continuation = page.ContinuationToken;
            }
            while (continuation is not null);

            for (var i = children.Count - 1; i >= 0; i--)
                folders.Push(children[i]);
        }
    }

    /// <summary>
    /// Every file of a version in ordinal path order, listing up to <paramref name="parallel"/> folders of one depth
    /// at once (each a page at a time). For callers that need the whole list before they start, e.g. a download:
    /// a version of 100,000 files in 100 folders costs about 100 round trips, which one at a time dominate the time.
    /// </summary>
    public async Task<IReadOnlyList<VersionFileItem>> ListAllVersionFilesAsync(string slug, Guid versionId, int parallel, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parallel, 1);
        var files = new ConcurrentQueue<VersionFileItem>();
        IReadOnlyCollection<string> folders = [""];
        while (folders.Count > 0)
        {
            var subfolders = new ConcurrentQueue<string>();
            await Parallel.ForEachAsync(folders, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct }, async (folder, token) =>
            {
                string? continuation = null;
                do
                {
                    var page = await ListVersionFilesAsync(slug, versionId, folder, continuation, 1000, token).ConfigureAwait(false);
                    foreach (var item in page.Items)
                    {
                        if (item.Kind == "folder")
                            subfolders.Enqueue(item.Path);
                        else
                            files.Enqueue(item);
                    }

                    continuation = page.ContinuationToken;
                }
                while (continuation is not null);
            }).ConfigureAwait(false);
            folders = subfolders;
        }

        var all = files.ToArray();
        Array.Sort(all, static (a, b) => string.CompareOrdinal(a.Path, b.Path));
        return all;
    }

    /// <summary>Digest, size and reference of one path.</summary>
    public Task<VersionFileItem> GetVersionEntryAsync(string slug, Guid versionId, string path, CancellationToken ct = default) =>
        GetAsync<VersionFileItem>(VersionPath(slug, versionId) + "/entry" + Query(("path", path)), ct);

    /// <summary>
    /// Copies one file's bytes to <paramref name="destination"/>; the caller verifies the digest. Inside a run
    /// (<see cref="RunId"/>) the version is recorded as used by it.
    /// </summary>
    public async Task DownloadVersionFileAsync(string slug, Guid versionId, string path, Stream destination, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        await RecordUseAsync(slug, versionId, ct).ConfigureAwait(false);
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, VersionPath(slug, versionId) + "/file" + Query(("path", path))),
            idempotent: true, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            await (progress is null ? body : new ProgressReportingStream(body, progress)).CopyToAsync(destination, 1 << 16, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Copies the whole version as a tar stream (reference entries left out) to <paramref name="destination"/>. Inside
    /// a run (<see cref="RunId"/>) the version is recorded as used by it.
    /// </summary>
    public async Task DownloadVersionArchiveAsync(string slug, Guid versionId, Stream destination, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        await RecordUseAsync(slug, versionId, ct).ConfigureAwait(false);
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, VersionPath(slug, versionId) + "/archive.tar"),
            idempotent: true, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        await response.Content.CopyToAsync(destination, ct).ConfigureAwait(false);
    }

    /// <summary>One page of the changes from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public Task<VersionDiffResponse> DiffVersionsAsync(
        string slug, Guid from, Guid to, string? toProject = null, string? change = null, string? continuation = null, int? limit = null, CancellationToken ct = default) =>
        GetAsync<VersionDiffResponse>($"api/v1/projects/{Escape(slug)}/diff" + Query(
            ("from", from.ToString()), ("to", to.ToString()), ("toProject", toProject), ("change", change),
            ("continuation", continuation), ("limit", limit?.ToString(CultureInfo.InvariantCulture))), ct);

    /// <summary>
    /// One page of the changes between two versions named by id, <c>artifact:v3</c>, <c>artifact:&lt;alias&gt;</c> or
    /// <c>artifact:&lt;manifest digest prefix&gt;</c> (<paramref name="to"/> in <paramref name="toProject"/> when given).
    /// </summary>
    public Task<VersionDiffResponse> DiffVersionsAsync(
        string slug, string from, string to, string? toProject = null, string? change = null, string? continuation = null, int? limit = null, CancellationToken ct = default) =>
        GetAsync<VersionDiffResponse>($"api/v1/projects/{Escape(slug)}/diff" + Query(
            ("from", from), ("to", to), ("toProject", toProject), ("change", change),
            ("continuation", continuation), ("limit", limit?.ToString(CultureInfo.InvariantCulture))), ct);

    /// <summary>Committed versions, in projects the caller can read, that hold a file with this SHA-256.</summary>
    public Task<IReadOnlyList<ContainingVersion>> FindVersionsWithBlobAsync(string digest, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<ContainingVersion>>($"api/v1/blobs/sha256/{Escape(digest)}/versions", ct);

    /// <summary>Committed versions of the project (or of one artifact) that hold this exact path.</summary>
    public Task<IReadOnlyList<ContainingVersion>> FindVersionsWithPathAsync(string slug, string path, string? artifact = null, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<ContainingVersion>>($"api/v1/projects/{Escape(slug)}/versions-containing" + Query(("path", path), ("artifact", artifact)), ct);
}
