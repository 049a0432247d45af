using System.Globalization;
using Portal.Client.Models;

namespace Portal.Client;

public sealed partial class PortalClient
{
    /// <summary>
    /// Audit records, newest first: site admins may leave <paramref name="project"/> out to read every project; project
    /// admins read their project. <paramref name="action"/> matches as a prefix; times are [from, to).
    /// </summary>
    public Task<PagedResponse<AuditEventResponse>> ListAuditEventsAsync(
        string? project = null, string? actor = null, string? action = null, DateTimeOffset? from = null, DateTimeOffset? to = null,
        int? limit = null, string? before = null, CancellationToken ct = default) =>
        GetAsync<PagedResponse<AuditEventResponse>>("api/v1/audit/events" + Query(
            ("project", project), ("actor", actor), ("action", action),
            ("from", from?.ToString("O", CultureInfo.InvariantCulture)), ("to", to?.ToString("O", CultureInfo.InvariantCulture)),
            ("limit", limit?.ToString(CultureInfo.InvariantCulture)), ("before", before)), ct);

    /// <summary>Recomputes the audit hash chain on the server (site admins) and names the first broken record.</summary>
    public Task<AuditVerifyResponse> VerifyAuditChainAsync(CancellationToken ct = default) =>
        PostAsync<AuditVerifyResponse>("api/v1/audit/verify", null, ct);
}
