using System.Security.Claims;
using Portal.Client.Models;
using Portal.Core.Features.Artifacts;

namespace Portal.Web.Features.Artifacts;

/// <summary>Large blobs in parts: open a session, send parts in parallel, resume, complete (<see cref="BlobUploadSessions"/>).</summary>
public static class BlobUploadSessionsEndpoints
{
    public static RouteGroupBuilder MapBlobUploadSessionsApi(this RouteGroupBuilder api)
    {
        var uploads = api.MapGroup("/blobs/uploads").WithTags("Blobs");

        uploads.MapPost("", async (StartUploadSessionRequest request, ClaimsPrincipal user, BlobUploadSessions useCase, CancellationToken ct) =>
            {
                var (session, opened) = await useCase.StartAsync(user, request, ct);
                return opened ? Results.Created($"/api/v1/blobs/uploads/{session.Id}", session) : Results.Ok(session);
            })
            .WithName("StartUploadSession")
            .WithSummary("Opens an upload of one large blob in parts (201), or returns your open one for the same blob (200, resume).")
            .WithDescription("The answer names the part size the server chose and lists the parts it holds already. `alreadyStored: true` (200, no session) means you hold the blob already. Sessions no part arrives for expire (Storage:UploadSessionLifetime).")
            .Produces<UploadSessionResponse>(StatusCodes.Status201Created).Produces<UploadSessionResponse>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        uploads.MapGet("/{id:guid}", (Guid id, ClaimsPrincipal user, BlobUploadSessions useCase, CancellationToken ct) =>
                useCase.GetAsync(user, id, ct))
            .WithName("GetUploadSession")
            .WithSummary("The session and the parts the server holds (what an interrupted upload still has to send).")
            .ProducesProblem(StatusCodes.Status404NotFound);

        uploads.MapPut("/{id:guid}/parts/{number:int}", async (Guid id, int number, HttpContext http, ClaimsPrincipal user, BlobUploadSessions useCase, CancellationToken ct) =>
            {
                // A part is at most the part size the server chose (64 MiB by default, more for very large blobs).
                BlobsEndpoints.AllowBodyUpTo(http, long.MaxValue);
                var sha256 = http.Request.Headers[UploadSessionHeaders.PartSha256].ToString();
                return await useCase.PutPartAsync(user, id, number, string.IsNullOrEmpty(sha256) ? null : sha256, http.Request.Body, http.Request.ContentLength, ct);
            })
            .WithName("PutUploadPart")
            .WithSummary("Sends one part (any order, in parallel, again to replace it); the X-Part-Sha256 header carries the SHA-256 of its bytes.")
            .WithDescription("The body must be exactly the part's size: the part size for every part but the last, the rest for the last. Any content type is accepted; the bytes are what count.")
            .Accepts<Stream>("application/octet-stream")
            .Produces<UploadPartResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        uploads.MapPost("/{id:guid}/complete", async (Guid id, ClaimsPrincipal user, BlobUploadSessions useCase, CancellationToken ct) =>
            {
                var result = await useCase.CompleteAsync(user, id, ct);
                return result.AlreadyStored ? Results.Ok(result) : Results.Created($"/api/v1/blobs/sha256/{result.Digest}", result);
            })
            .WithName("CompleteUploadSession")
            .WithSummary("Puts the parts together; the blob is stored only when the whole hashes to the session's digest.")
            .WithDescription("409 `parts_missing` lists the part numbers still to send. 422 `digest_mismatch` closes the session with nothing stored.")
            .Produces<BlobPutResponse>(StatusCodes.Status201Created).Produces<BlobPutResponse>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        uploads.MapDelete("/{id:guid}", async (Guid id, ClaimsPrincipal user, BlobUploadSessions useCase, CancellationToken ct) =>
            {
                await useCase.AbortAsync(user, id, ct);
                return Results.NoContent();
            })
            .WithName("AbortUploadSession")
            .WithSummary("Ends the session and discards its parts.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        return api;
    }
}
