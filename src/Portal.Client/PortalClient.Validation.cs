using System.Globalization;
using System.Net.Http.Json;
using Portal.Client.Models;

namespace Portal.Client;

public sealed partial class PortalClient
{
    private static string ProjectPath(string slug) => $"api/v1/projects/{Escape(slug)}";

    /// <summary>A version's validation: job state and progress, then its findings (locations redacted).</summary>
    public Task<ValidationResponse> GetValidationAsync(string slug, Guid versionId, CancellationToken ct = default) =>
        GetAsync<ValidationResponse>($"{ProjectPath(slug)}/versions/{versionId}/validation", ct);

    /// <summary>Validates a version again with the current rules.</summary>
    public Task<ValidationResponse> RerunValidationAsync(string slug, Guid versionId, CancellationToken ct = default) =>
        PostAsync<ValidationResponse>($"{ProjectPath(slug)}/versions/{versionId}/validation", null, ct, idempotent: true);

    public Task<IReadOnlyList<ValidationRuleSetResponse>> ListValidationRulesAsync(string slug, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<ValidationRuleSetResponse>>($"{ProjectPath(slug)}/validation-rules", ct);

    /// <summary>The rules that apply to an artifact type (<c>*</c> for the project's default).</summary>
    public Task<ValidationRuleSetResponse> GetValidationRulesAsync(string slug, string artifactType, CancellationToken ct = default) =>
        GetAsync<ValidationRuleSetResponse>($"{ProjectPath(slug)}/validation-rules/{Escape(artifactType)}", ct);

    public Task<ValidationRuleSetResponse> SetValidationRulesAsync(string slug, string artifactType, ValidationRules rules, CancellationToken ct = default) =>
        SendForAsync<ValidationRuleSetResponse>(
            () => new HttpRequestMessage(HttpMethod.Put, $"{ProjectPath(slug)}/validation-rules/{Escape(artifactType)}") { Content = JsonContent.Create(rules, options: Json) },
            idempotent: true, ct);

    /// <summary>Asks for a compare report between two versions; answers the existing one when there is one.</summary>
    public Task<CompareReportResponse> RequestCompareReportAsync(string slug, CompareReportRequest request, CancellationToken ct = default) =>
        PostAsync<CompareReportResponse>($"{ProjectPath(slug)}/compare-reports", request, ct, idempotent: true);

    public Task<CompareReportResponse> GetCompareReportAsync(string slug, Guid reportId, CancellationToken ct = default) =>
        GetAsync<CompareReportResponse>($"{ProjectPath(slug)}/compare-reports/{reportId}", ct);

    public Task<CompareReportResponse> FindCompareReportAsync(string slug, Guid from, Guid to, string? keyColumn = null, CancellationToken ct = default) =>
        GetAsync<CompareReportResponse>($"{ProjectPath(slug)}/compare-reports" + Query(("from", from.ToString()), ("to", to.ToString()), ("keyColumn", keyColumn)), ct);

    /// <summary>
    /// The report of two versions named by id, <c>artifact:v3</c>, <c>artifact:&lt;alias&gt;</c> or
    /// <c>artifact:&lt;manifest digest prefix&gt;</c>.
    /// </summary>
    public Task<CompareReportResponse> FindCompareReportAsync(string slug, string from, string to, string? keyColumn = null, CancellationToken ct = default) =>
        GetAsync<CompareReportResponse>($"{ProjectPath(slug)}/compare-reports" + Query(("from", from), ("to", to), ("keyColumn", keyColumn)), ct);

    /// <summary>Row-level changes of one CSV/TSV/JSONL file between two versions, computed on request.</summary>
    public Task<RowDiffResponse> DiffRowsAsync(string slug, Guid from, Guid to, string path, string? keyColumn = null, int? samples = null, CancellationToken ct = default) =>
        DiffRowsAsync(slug, from.ToString(), to.ToString(), path, keyColumn, samples, ct);

    /// <summary>Row-level changes of one file between two versions named by id, <c>artifact:v3</c>, alias or digest prefix.</summary>
    public Task<RowDiffResponse> DiffRowsAsync(string slug, string from, string to, string path, string? keyColumn = null, int? samples = null, CancellationToken ct = default) =>
        GetAsync<RowDiffResponse>($"{ProjectPath(slug)}/row-diff" + Query(("from", from), ("to", to), ("path", path), ("keyColumn", keyColumn),
            ("samples", samples?.ToString(CultureInfo.InvariantCulture))), ct);
}
