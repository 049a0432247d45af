using System.Globalization;
using System.Net.Http.Json;
using Portal.Client.Models;

namespace Portal.Client;

public sealed partial class PortalClient
{
    /// <summary>Maintenance run reports, newest first (site admins); <paramref name="job"/> is one of <see cref="MaintenanceJobNames"/>.</summary>
    public Task<IReadOnlyList<MaintenanceRunResponse>> ListMaintenanceRunsAsync(string? job = null, int? limit = null, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<MaintenanceRunResponse>>(
            "api/v1/admin/maintenance/runs" + Query(("job", job), ("limit", limit?.ToString(CultureInfo.InvariantCulture))), ct);

    /// <summary>Queues a run of the job now (site admins); the answer is its report, still queued.</summary>
    public Task<MaintenanceRunResponse> RunMaintenanceJobAsync(string job, CancellationToken ct = default) =>
        PostAsync<MaintenanceRunResponse>($"api/v1/admin/maintenance/jobs/{Escape(job)}/run", null, ct);

    public Task<IReadOnlyList<RetentionPolicyResponse>> ListRetentionPoliciesAsync(string slug, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<RetentionPolicyResponse>>($"api/v1/projects/{Escape(slug)}/retention-policies", ct);

    /// <summary>Keeps committed versions of <paramref name="artifactType"/> (<c>*</c> = any other type) for the given days (project admins).</summary>
    public Task<RetentionPolicyResponse> SetRetentionPolicyAsync(string slug, string artifactType, RetentionPolicyRequest request, CancellationToken ct = default) =>
        SendForAsync<RetentionPolicyResponse>(
            () => new HttpRequestMessage(HttpMethod.Put, $"api/v1/projects/{Escape(slug)}/retention-policies/{Escape(artifactType)}") { Content = JsonContent.Create(request, options: Json) },
            idempotent: true, ct);

    public Task DeleteRetentionPolicyAsync(string slug, string artifactType, CancellationToken ct = default) =>
        SendNoContentAsync(() => new HttpRequestMessage(HttpMethod.Delete, $"api/v1/projects/{Escape(slug)}/retention-policies/{Escape(artifactType)}"), idempotent: true, ct);

    /// <summary>Versions retention removed from the project, newest first (project admins).</summary>
    public Task<IReadOnlyList<RetentionRemovalResponse>> ListRetentionRemovalsAsync(string slug, int? limit = null, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<RetentionRemovalResponse>>(
            $"api/v1/projects/{Escape(slug)}/retention-removals" + Query(("limit", limit?.ToString(CultureInfo.InvariantCulture))), ct);

    /// <summary>Blobs of the version that the integrity scrub found corrupt or missing (empty when none).</summary>
    public Task<IReadOnlyList<VersionIntegrityIssueResponse>> GetVersionIntegrityAsync(string slug, Guid versionId, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<VersionIntegrityIssueResponse>>($"api/v1/projects/{Escape(slug)}/versions/{versionId}/integrity", ct);
}
