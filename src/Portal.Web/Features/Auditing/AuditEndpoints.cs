using System.Security.Claims;
using System.Text;
using Portal.Client.Models;
using Portal.Core.Features.Auditing;

namespace Portal.Web.Features.Auditing;

public static class AuditEndpoints
{
    /// <summary>Read-only by design: the audit log has no update or delete endpoint.</summary>
    public static RouteGroupBuilder MapAuditApi(this RouteGroupBuilder api)
    {
        var audit = api.MapGroup("/audit").WithTags("Audit")
            .ProducesProblem(StatusCodes.Status403Forbidden);

        audit.MapGet("/events", (ClaimsPrincipal user, AuditTrail useCase, string? project, string? actor, string? action,
                    DateTimeOffset? from, DateTimeOffset? to, int? limit, long? before, CancellationToken ct) =>
                useCase.ListAsync(user, new AuditQuery(project, actor, action, from, to, limit, before), ct))
            .WithName("ListAuditEvents")
            .WithSummary("Audit records, newest first (site admins: all; project admins: ?project=<slug>). Filter by actor (id or e-mail), action prefix and time [from, to); page with ?before=<continuation token>.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        audit.MapGet("/events.csv", async (HttpContext http, ClaimsPrincipal user, AuditTrail useCase, string? project, string? actor, string? action,
                DateTimeOffset? from, DateTimeOffset? to, CancellationToken ct) =>
            {
                var query = new AuditQuery(project, actor, action, from, to);
                // Access is checked before the first byte, so a refusal is still a problem response.
                await useCase.ListAsync(user, query with { Limit = 1 }, ct);
                http.Response.ContentType = "text/csv; charset=utf-8";
                http.Response.Headers.ContentDisposition = $"attachment; filename=\"audit-{project ?? "all"}-{DateTime.UtcNow:yyyyMMdd-HHmmss}.csv\"";
                await using var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(false), 64 * 1024);
                await useCase.ExportCsvAsync(user, query, writer, ct);
                await writer.FlushAsync(ct);
            })
            .WithName("ExportAuditEvents")
            .WithSummary("The matching audit records as CSV, oldest first, with the same filters and access as /audit/events.")
            .Produces<string>(StatusCodes.Status200OK, "text/csv")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        audit.MapPost("/verify", (ClaimsPrincipal user, AuditVerifier useCase, CancellationToken ct) => useCase.VerifyAsync(user, ct))
            .WithName("VerifyAuditChain")
            .WithSummary("Recomputes the audit hash chain (site admins) and names the first record that was changed or removed, if any.")
            .Produces<AuditVerifyResponse>();

        return api;
    }
}
