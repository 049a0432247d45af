using System.Globalization;
using System.Net.Http.Json;
using Portal.Client.Models;

namespace Portal.Client;

/// <summary>
/// Automation rules of a project (<c>scope</c> = the project's slug, <c>collection: false</c>) or of a registry
/// collection (<c>scope</c> = the collection's name, <c>collection: true</c>).
/// </summary>
public sealed partial class PortalClient
{
    private static string AutomationsPath(string scope, bool collection) =>
        collection ? $"api/v1/registry/collections/{Escape(scope)}/automations" : $"api/v1/projects/{Escape(scope)}/automations";

    /// <summary>The rules with their last run (readers of the project or collection).</summary>
    public Task<IReadOnlyList<AutomationRuleResponse>> ListAutomationsAsync(string scope, bool collection = false, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<AutomationRuleResponse>>(AutomationsPath(scope, collection), ct);

    /// <summary>Adds a rule (admins); an <c>evaluation_request</c> rule's signing secret is in the answer only this once.</summary>
    public Task<CreatedAutomationResponse> CreateAutomationAsync(string scope, CreateAutomationRequest request, bool collection = false, CancellationToken ct = default) =>
        PostAsync<CreatedAutomationResponse>(AutomationsPath(scope, collection), request, ct);

    public Task<AutomationRuleResponse> UpdateAutomationAsync(string scope, Guid id, UpdateAutomationRequest request, bool collection = false, CancellationToken ct = default) =>
        SendForAsync<AutomationRuleResponse>(
            () => new HttpRequestMessage(HttpMethod.Patch, $"{AutomationsPath(scope, collection)}/{id}") { Content = JsonContent.Create(request, options: Json) },
            idempotent: true, ct);

    public Task DeleteAutomationAsync(string scope, Guid id, bool collection = false, CancellationToken ct = default) =>
        SendNoContentAsync(() => new HttpRequestMessage(HttpMethod.Delete, $"{AutomationsPath(scope, collection)}/{id}"), idempotent: true, ct);

    /// <summary>The rule's runs, newest first; pass the answer's continuation token as <paramref name="before"/> for older ones.</summary>
    public Task<PagedResponse<AutomationRunResponse>> ListAutomationRunsAsync(string scope, Guid id, bool collection = false, int? limit = null, string? before = null, CancellationToken ct = default) =>
        GetAsync<PagedResponse<AutomationRunResponse>>(
            $"{AutomationsPath(scope, collection)}/{id}/runs" + Query(("limit", limit?.ToString(CultureInfo.InvariantCulture)), ("before", before)), ct);
}
