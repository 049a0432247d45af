using System.Security.Claims;
using Microsoft.AspNetCore.Http.Features;
using Portal.Client.Models;
using Portal.Core.Features.Artifacts;

namespace Portal.Web.Features.Artifacts;

public static class BlobsEndpoints
{
    public static RouteGroupBuilder MapBlobsApi(this RouteGroupBuilder api)
    {
        var blobs = api.MapGroup("/blobs").WithTags("Blobs");

        blobs.MapPut("/sha256/{digest}", async (string digest, string? project, HttpContext http, ClaimsPrincipal user, BlobUploads useCase, CancellationToken ct) =>
            {
                // Blobs may be far larger than the server-wide body limit; lift it for this endpoint only, to the
                // configured maximum (the store enforces it again while streaming, for chunked bodies).
                AllowBodyUpTo(http, useCase.MaxBlobBytes);
                var result = await useCase.PutAsync(user, digest, http.Request.Body, http.Request.ContentLength, project, ct);
                return result.AlreadyStored
                    ? Results.Ok(result)
                    : Results.Created($"/api/v1/blobs/sha256/{result.Digest}", result);
            })
            .WithName("PutBlob")
            .WithSummary("Streams one blob; the bytes must hash (SHA-256) to the digest in the URL. Idempotent.")
            .WithDescription("`project` names the project the blob is for (Contributor there): the project then holds it, and its versions may name it. Without it the blob is recorded as the uploader's own. Bytes the store already has are hashed all the same and stored once.")
            // Any content type: the bytes are what count (curl --data-binary sends application/x-www-form-urlencoded).
            .Accepts<Stream>("application/octet-stream", "*/*")
            .Produces<BlobPutResponse>(StatusCodes.Status200OK).Produces<BlobPutResponse>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        blobs.MapPost("/batch", async (string? project, HttpContext http, ClaimsPrincipal user, BlobUploads useCase, CancellationToken ct) =>
            {
                if (!string.Equals(http.Request.ContentType, "application/x-tar", StringComparison.OrdinalIgnoreCase))
                    return Results.Problem(statusCode: 415, detail: "Send the batch as a tar stream with Content-Type: application/x-tar; name each entry by its SHA-256 digest.", extensions: new Dictionary<string, object?> { ["code"] = Portal.Client.ErrorCodes.UnsupportedMediaType });
                AllowBodyUpTo(http, useCase.MaxBlobBytes);
                return Results.Ok(await useCase.PutBatchAsync(user, http.Request.Body, project, ct));
            })
            .WithName("PutBlobBatch")
            .WithSummary("Many small blobs in one request: a tar stream whose entries are named by their SHA-256 digest; each is verified.")
            .Accepts<Stream>("application/x-tar")
            .Produces<IReadOnlyList<BlobPutResponse>>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType).ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        blobs.MapPost("/missing", (ClaimsPrincipal user, BlobUploads useCase, MissingBlobsRequest request, CancellationToken ct) =>
                useCase.MissingAsync(user, request, ct))
            .WithName("FindMissingBlobs")
            .WithSummary("Which of up to 10,000 digests are not present for you (or for the project the request names) yet.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden);

        api.MapPost("/projects/{slug}/blobs/download", async (string slug, BlobBatchDownloadRequest request, HttpContext http, ClaimsPrincipal user, BlobDownloads useCase, CancellationToken ct) =>
            {
                var plan = await useCase.PrepareAsync(user, slug, request, ct);
                http.Response.ContentType = "application/x-tar";
                await useCase.WriteAsync(plan, http.Response.Body, ct);
            })
            .WithTags("Blobs")
            .WithName("DownloadBlobBatch")
            .WithSummary("Many blobs the project holds in one tar stream, each entry named by its digest and verified; a blob that cannot be sent is an entry errors/<digest> holding its problem as JSON.")
            .Produces(StatusCodes.Status200OK, contentType: "application/x-tar")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        return api;
    }

    /// <summary>Raises the request body limit for this request (Kestrel's default is 30 MB).</summary>
    internal static void AllowBodyUpTo(HttpContext http, long maxBytes)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = maxBytes;
    }
}
