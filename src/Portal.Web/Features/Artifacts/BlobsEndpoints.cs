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

        blobs.MapPut("/sha256/{digest}", async (string digest, HttpContext http, ClaimsPrincipal user, BlobUploads useCase, CancellationToken ct) =>
            {
                // Blobs may be far larger than the server-wide body limit; lift it for this endpoint only, to the
                // configured maximum (the store enforces it again while streaming, for chunked bodies).
                AllowBodyUpTo(http, useCase.MaxBlobBytes);
                var result = await useCase.PutAsync(user, digest, http.Request.Body, http.Request.ContentLength, ct);
                return result.AlreadyStored
                    ? Results.Ok(result)
                    : Results.Created($"/api/v1/blobs/sha256/{result.Digest}", result);
            })
            .WithName("PutBlob")
            .WithSummary("Streams one blob; the bytes must hash (SHA-256) to the digest in the URL. Idempotent.")
            .Accepts<Stream>("application/octet-stream")
            .Produces<BlobPutResponse>(StatusCodes.Status200OK).Produces<BlobPutResponse>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        blobs.MapPost("/missing", (ClaimsPrincipal user, BlobUploads useCase, MissingBlobsRequest request, CancellationToken ct) =>
                useCase.MissingAsync(user, request, ct))
            .WithName("FindMissingBlobs")
            .WithSummary("Which of up to 10,000 digests the portal does not hold yet.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden);

        return api;
    }

    /// <summary>Raises the request body limit for this request (Kestrel's default is 30 MB).</summary>
    internal static void AllowBodyUpTo(HttpContext http, long maxBytes)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = maxBytes;
    }
}
