using System.Net.Http.Json;
using Portal.Client.Models;

namespace Portal.Client;

/// <summary>Filters for <see cref="PortalClient.ListRunsAsync"/>; every field is optional.</summary>
public sealed record RunListFilter(
    string? JobType = null,
    string? Status = null,
    string? CreatedBy = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    string? Sort = null,
    int? Limit = null,
    string? ContinuationToken = null);

public sealed partial class PortalClient
{
    private static string RunPath(string slug, Guid runId) => $"api/v1/projects/{Escape(slug)}/runs/{runId}";

    public Task<RunResponse> CreateRunAsync(string slug, CreateRunRequest request, CancellationToken ct = default) =>
        PostAsync<RunResponse>($"api/v1/projects/{Escape(slug)}/runs", request, ct);

    public Task<PagedResponse<RunResponse>> ListRunsAsync(string slug, RunListFilter? filter = null, CancellationToken ct = default)
    {
        filter ??= new RunListFilter();
        var query = Query(
            ("jobType", filter.JobType), ("status", filter.Status), ("createdBy", filter.CreatedBy),
            ("from", filter.From?.ToString("O")), ("to", filter.To?.ToString("O")), ("sort", filter.Sort),
            ("limit", filter.Limit?.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("continuationToken", filter.ContinuationToken));
        return GetAsync<PagedResponse<RunResponse>>($"api/v1/projects/{Escape(slug)}/runs{query}", ct);
    }

    public Task<RunResponse> GetRunAsync(string slug, Guid runId, CancellationToken ct = default) =>
        GetAsync<RunResponse>(RunPath(slug, runId), ct);

    /// <summary>Replaces the given top-level config/summary keys of a running run.</summary>
    public Task<RunResponse> UpdateRunAsync(string slug, Guid runId, UpdateRunRequest request, CancellationToken ct = default) =>
        SendForAsync<RunResponse>(
            () => new HttpRequestMessage(HttpMethod.Patch, RunPath(slug, runId)) { Content = JsonContent.Create(request, options: Json) },
            idempotent: false, ct);

    public Task<RunResponse> FinishRunAsync(string slug, Guid runId, FinishRunRequest request, CancellationToken ct = default) =>
        PostAsync<RunResponse>(RunPath(slug, runId) + "/finish", request, ct);

    public Task<LogMetricsResponse> LogMetricsAsync(string slug, Guid runId, IReadOnlyList<MetricPointRequest> points, CancellationToken ct = default) =>
        PostAsync<LogMetricsResponse>(RunPath(slug, runId) + "/metrics", points, ct);

    public Task<IReadOnlyList<MetricHistoryResponse>> GetMetricHistoryAsync(string slug, Guid runId, IReadOnlyList<string>? keys = null, CancellationToken ct = default)
    {
        var query = keys is { Count: > 0 } ? "?" + string.Join('&', keys.Select(k => "key=" + Uri.EscapeDataString(k))) : "";
        return GetAsync<IReadOnlyList<MetricHistoryResponse>>(RunPath(slug, runId) + "/metrics" + query, ct);
    }

    public Task<IReadOnlyList<string>> GetMetricKeysAsync(string slug, Guid runId, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<string>>(RunPath(slug, runId) + "/metrics/keys", ct);

    /// <summary>Records that the run read a version (the <c>used</c> lineage edge).</summary>
    public Task<LineageVersionResponse> UseVersionAsync(string slug, Guid runId, Guid versionId, CancellationToken ct = default) =>
        PostAsync<LineageVersionResponse>(RunPath(slug, runId) + "/use", new UseVersionRequest(versionId), ct, idempotent: true);

    /// <summary>
    /// Records that <see cref="RunId"/> used a version of <paramref name="slug"/>, once per version and client; does
    /// nothing outside a run or for a version of another project than the run's. Downloads call it themselves.
    /// </summary>
    public async Task RecordUseAsync(string slug, Guid versionId, CancellationToken ct = default)
    {
        if (RunId is not { } runId || (RunProject is not null && !string.Equals(RunProject, slug, StringComparison.Ordinal)))
            return;
        if (!_usedVersions.TryAdd(versionId, 0))
            return;
        try
        {
            await UseVersionAsync(slug, runId, versionId, ct).ConfigureAwait(false);
        }
        catch
        {
            _usedVersions.TryRemove(versionId, out _);
            throw;
        }
    }

    public Task<RunLineageResponse> GetRunLineageAsync(string slug, Guid runId, CancellationToken ct = default) =>
        GetAsync<RunLineageResponse>(RunPath(slug, runId) + "/lineage", ct);
}
