using System.Security.Claims;
using Portal.Client.Models;
using Portal.Core.Features.Evidence;

namespace Portal.Web.Features.Evidence;

public static class EvidenceEndpoints
{
    public const string WellKnownKeysPath = "/.well-known/portal-evidence-keys.json";

    public static RouteGroupBuilder MapEvidenceApi(this RouteGroupBuilder api)
    {
        api.MapGet("/projects/{slug}/evidence", async (string slug, string? version, string? alias, DateTimeOffset? at, ClaimsPrincipal user,
                EvidenceExport useCase, CancellationToken ct) =>
            {
                // The pack is built in a temporary file (a zip is written synchronously) and streamed from there; the
                // file goes when the response has been sent.
                var file = new FileStream(Path.Combine(Path.GetTempPath(), $"portal-evidence-{Guid.NewGuid():N}.zip"), FileMode.CreateNew, FileAccess.ReadWrite,
                    FileShare.None, 64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
                try
                {
                    var pack = await useCase.ExportAsync(user, slug, new EvidenceRequest(version, alias, at), file, ct);
                    file.Position = 0;
                    return Results.File(file, "application/zip", pack.FileName);
                }
                catch
                {
                    await file.DisposeAsync();
                    throw;
                }
            })
            .WithTags("Evidence")
            .WithName("ExportEvidence")
            .WithSummary("A signed evidence pack (zip) for a version (`version=artifact:vN`) or for an alias at a time (`alias=artifact:production&at=2026-03-03T14:00Z`) (Viewer).")
            .WithDescription(
                "The zip holds evidence.json (the version and its upstream lineage, validations, compare reports, promotions with approvals and comments, " +
                "alias history, evaluations; nodes in projects the caller cannot read are redacted), audit.json (the covering audit records with their hash-chain " +
                "links and the chain head), manifests/<versionId>.ndjson, evidence.html, checksums.sha256 and signature.json (ECDSA P-256 over checksums.sha256). " +
                "Check it offline with `portal evidence verify`. Each export is recorded as the audit event `evidence.exported`.")
            .Produces(StatusCodes.Status200OK, contentType: "application/zip")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/admin/evidence-keys", (EvidenceKeys useCase, CancellationToken ct) => useCase.ListAsync(ct))
            .WithTags("Evidence")
            .WithName("ListEvidenceKeys")
            .WithSummary("Every public key the portal has signed evidence packs with, newest first (also served anonymously at /.well-known/portal-evidence-keys.json).")
            .Produces<EvidenceKeysResponse>();

        api.MapPost("/admin/evidence-keys/rotate", (ClaimsPrincipal user, EvidenceKeys useCase, CancellationToken ct) => useCase.RotateAsync(user, ct))
            .WithTags("Evidence")
            .WithName("RotateEvidenceKey")
            .WithSummary("Retires the active evidence-signing key and makes a new one (site admins); retired public keys stay listed so older packs still verify.")
            .Produces<EvidenceKeyResponse>()
            .ProducesProblem(StatusCodes.Status403Forbidden);
        return api;
    }

    /// <summary>The public keys for offline verification, readable without an account (auditors have none).</summary>
    public static IEndpointRouteBuilder MapEvidenceKeysDocument(this IEndpointRouteBuilder app)
    {
        app.MapGet(WellKnownKeysPath, (EvidenceKeys useCase, CancellationToken ct) => useCase.ListAsync(ct))
            .AllowAnonymous()
            .WithTags("Evidence")
            .WithName("EvidenceKeysWellKnown")
            .WithSummary("The portal's evidence-signing public keys (anonymous).")
            .Produces<EvidenceKeysResponse>();
        return app;
    }
}
