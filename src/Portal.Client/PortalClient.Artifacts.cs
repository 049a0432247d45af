using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Portal.Client.Models;

namespace Portal.Client;

/// <summary>The fields of a new version sent alongside a streamed (NDJSON) manifest.</summary>
public sealed record NewVersionOptions(
    string Type,
    string? Description = null,
    JsonElement? Metadata = null,
    IReadOnlyList<string>? Aliases = null,
    Guid? RunId = null);

public sealed partial class PortalClient
{
    private static string ArtifactPath(string slug, string name) => $"api/v1/projects/{Escape(slug)}/artifacts/{Escape(name)}";

    public Task<IReadOnlyList<ArtifactResponse>> ListArtifactsAsync(string slug, string? type = null, string? search = null, CancellationToken ct = default) =>
        ListArtifactsAsync(slug, type, search, metadata: null, ct);

    /// <summary>Artifacts whose latest version's metadata has <paramref name="metadata"/> (<c>key=value</c>, dots for nested keys).</summary>
    public Task<IReadOnlyList<ArtifactResponse>> ListArtifactsAsync(string slug, string? type, string? search, string? metadata, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<ArtifactResponse>>($"api/v1/projects/{Escape(slug)}/artifacts" + Query(("type", type), ("search", search), ("metadata", metadata)), ct);

    public Task<ArtifactResponse> GetArtifactAsync(string slug, string name, CancellationToken ct = default) =>
        GetAsync<ArtifactResponse>(ArtifactPath(slug, name), ct);

    /// <summary>One page of committed versions, newest first.</summary>
    public Task<PagedResponse<ArtifactVersionResponse>> ListVersionsAsync(string slug, string name, int? limit = null, string? continuationToken = null, CancellationToken ct = default) =>
        GetAsync<PagedResponse<ArtifactVersionResponse>>(
            ArtifactPath(slug, name) + "/versions" + Query(("limit", limit?.ToString(CultureInfo.InvariantCulture)), ("continuationToken", continuationToken)), ct);

    /// <summary>A committed version by <c>vN</c>, alias, version id or manifest digest.</summary>
    public Task<ArtifactVersionResponse> GetVersionAsync(string slug, string name, string reference, CancellationToken ct = default) =>
        GetAsync<ArtifactVersionResponse>(ArtifactPath(slug, name) + "/versions/" + Escape(reference), ct);

    /// <summary>Resolves <c>name:alias</c>, <c>name:vN</c> or <c>name:digest</c> (a bare name means <c>name:latest</c>).</summary>
    public Task<ArtifactVersionResponse> ResolveVersionAsync(string slug, string specification, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(specification);
        if (!specification.Contains(':', StringComparison.Ordinal))
            specification += ":latest";
        return GetAsync<ArtifactVersionResponse>($"api/v1/projects/{Escape(slug)}/resolve/{Escape(specification)}", ct);
    }

    /// <summary>Creates a version from a JSON body: a small whole manifest in <c>Entries</c>, or <c>Base</c> plus a patch.</summary>
    public async Task<CreateVersionResponse> CreateVersionAsync(string slug, string name, CreateVersionRequest request, CancellationToken ct = default)
    {
        using var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Post, ArtifactPath(slug, name) + "/versions") { Content = JsonContent.Create(request, options: Json) },
            idempotent: false, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        return await ReadAsync<CreateVersionResponse>(response, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Creates a version from a manifest of any size: the entries are streamed as gzip-compressed NDJSON while they
    /// are enumerated, so a million-entry manifest is never held as one string. Order does not matter; the server sorts.
    /// </summary>
    public async Task<CreateVersionResponse> CreateVersionFromManifestAsync(
        string slug, string name, NewVersionOptions options, IEnumerable<ManifestEntryModel> entries, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var query = Query(("type", options.Type), ("description", options.Description), ("runId", options.RunId?.ToString()));
        if (options.Aliases is { Count: > 0 })
            query += (query.Length == 0 ? "?" : "&") + string.Join('&', options.Aliases.Select(a => "alias=" + Uri.EscapeDataString(a)));
        using var response = await SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, ArtifactPath(slug, name) + "/versions" + query) { Content = new NdjsonManifestContent(entries) };
            // Metadata travels in a header rather than the query string: query strings are often logged and length-limited.
            // Serialising with the default encoder escapes every non-ASCII character, which headers cannot carry.
            if (options.Metadata is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } metadata)
                request.Headers.TryAddWithoutValidation("Portal-Metadata", JsonSerializer.Serialize(metadata));
            return request;
        }, idempotent: false, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        return await ReadAsync<CreateVersionResponse>(response, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Assigns <c>vN</c> and moves <c>latest</c> once every blob of the pending version is stored. Retried like an
    /// idempotent call: committing a committed version answers that version, so a commit whose answer was lost (dropped
    /// connection, restarted server) completes on the retry without a second version.
    /// </summary>
    public Task<CommitVersionResponse> CommitVersionAsync(string slug, string name, Guid versionId, CancellationToken ct = default) =>
        PostAsync<CommitVersionResponse>(ArtifactPath(slug, name) + $"/versions/{versionId}/commit", null, ct, idempotent: true);

    public Task AbortVersionAsync(string slug, string name, Guid versionId, CancellationToken ct = default) =>
        SendNoContentAsync(() => new HttpRequestMessage(HttpMethod.Post, ArtifactPath(slug, name) + $"/versions/{versionId}/abort"), idempotent: false, ct);

    /// <summary>Points a custom alias at a committed version (<paramref name="version"/>: vN, alias, id or digest).</summary>
    public Task<ArtifactAliasResponse> SetAliasAsync(string slug, string name, string alias, string version, string? reason = null, CancellationToken ct = default) =>
        SendForAsync<ArtifactAliasResponse>(
            () => new HttpRequestMessage(HttpMethod.Put, ArtifactPath(slug, name) + "/aliases/" + Escape(alias)) { Content = JsonContent.Create(new SetAliasRequest(version, reason), options: Json) },
            idempotent: true, ct);

    public Task DeleteAliasAsync(string slug, string name, string alias, string? reason = null, CancellationToken ct = default) =>
        SendNoContentAsync(
            () => new HttpRequestMessage(HttpMethod.Delete, ArtifactPath(slug, name) + "/aliases/" + Escape(alias) + Query(("reason", reason))),
            idempotent: false, ct);

    public Task<IReadOnlyList<AliasEventResponse>> GetAliasHistoryAsync(string slug, string name, string alias, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<AliasEventResponse>>(ArtifactPath(slug, name) + "/aliases/" + Escape(alias) + "/history", ct);

    /// <summary>The version an alias pointed at at <paramref name="time"/>.</summary>
    public Task<ArtifactVersionResponse> GetAliasAtAsync(string slug, string name, string alias, DateTimeOffset time, CancellationToken ct = default) =>
        GetAsync<ArtifactVersionResponse>(ArtifactPath(slug, name) + "/aliases/" + Escape(alias) + "/at" + Query(("time", time.ToString("O", CultureInfo.InvariantCulture))), ct);

    /// <summary>Writes manifest entries as gzip NDJSON straight onto the request stream.</summary>
    private sealed class NdjsonManifestContent : HttpContent
    {
        // Absent rather than null: the manifest reader treats "ref" and "extra" as optional fields.
        private static readonly JsonSerializerOptions LineJson = new(Json) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

        private readonly IEnumerable<ManifestEntryModel> _entries;

        public NdjsonManifestContent(IEnumerable<ManifestEntryModel> entries)
        {
            _entries = entries;
            Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            await SerializeToStreamAsync(stream, context, CancellationToken.None).ConfigureAwait(false);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await using var gzip = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true);
            await using var writer = new Utf8JsonWriter(gzip);
            var newline = "\n"u8.ToArray();
            foreach (var entry in _entries)
            {
                JsonSerializer.Serialize(writer, entry, LineJson);
                await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                writer.Reset();
                await gzip.WriteAsync(newline, cancellationToken).ConfigureAwait(false);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}
