using System.Security.Claims;
using Microsoft.Extensions.Options;
using Portal.Client.Models;
using Portal.Core.Features.Ingestions;
using Portal.Web.Features.Artifacts;

namespace Portal.Web.Features.Ingestions;

/// <summary>Server-side ingestion: uploads staged file by file, references read by the server, and the job's progress.</summary>
public static class IngestionsEndpoints
{
    public static RouteGroupBuilder MapIngestionsApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/projects/{slug}/ingestions").WithTags("Ingestion");

        group.MapPost("", async (string slug, CreateReferenceIngestionRequest request, ClaimsPrincipal user, Core.Features.Ingestions.Ingestions ingestions, CancellationToken ct) =>
            {
                var created = await ingestions.CreateReferencesAsync(user, slug, request, ct);
                return TypedResults.Accepted($"/api/v1/projects/{slug}/ingestions/{created.Id}", created);
            })
            .WithName("CreateReferenceIngestion")
            .WithSummary("A new version made of file:// (under the allowed roots) and https:// references that a job reads, hashes and commits. Contributors.")
            .Produces<IngestionResponse>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        group.MapPost("/uploads", async (string slug, CreateUploadIngestionRequest request, ClaimsPrincipal user, Core.Features.Ingestions.Ingestions ingestions, CancellationToken ct) =>
            {
                var created = await ingestions.CreateUploadAsync(user, slug, request, ct);
                return TypedResults.Created($"/api/v1/projects/{slug}/ingestions/{created.Id}", created);
            })
            .WithName("CreateUploadIngestion")
            .WithSummary("Starts an upload: send each file with PUT …/ingestions/{id}/files/{path}, then POST …/ingestions/{id}/start. Contributors.")
            .Produces<IngestionResponse>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        group.MapPut("/{ingestionId:guid}/files/{**path}", async (string slug, Guid ingestionId, string path, HttpContext http, ClaimsPrincipal user,
                Core.Features.Ingestions.Ingestions ingestions, IOptions<IngestionOptions> options, CancellationToken ct) =>
            {
                BlobsEndpoints.AllowBodyUpTo(http, options.Value.MaxUploadBytes);
                return TypedResults.Ok(await ingestions.AddFileAsync(user, slug, ingestionId, path, http.Request.Body, ct));
            })
            .WithName("PutIngestionFile")
            .WithSummary("Streams one file of an upload into its staging folder; the path (URL-encoded, '/' between folders) obeys the manifest path rules.")
            // Any content type: the bytes are what count (curl --data-binary sends application/x-www-form-urlencoded).
            .Accepts<Stream>("application/octet-stream", "*/*")
            .Produces<IngestionFileResponse>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        group.MapPost("/{ingestionId:guid}/start", async (string slug, Guid ingestionId, ClaimsPrincipal user, Core.Features.Ingestions.Ingestions ingestions, CancellationToken ct) =>
                TypedResults.Accepted($"/api/v1/projects/{slug}/ingestions/{ingestionId}", await ingestions.StartAsync(user, slug, ingestionId, ct)))
            .WithName("StartIngestion")
            .WithSummary("Hands the staged files to the job that hashes and commits them (a single .zip is expanded when the upload asked for it). Idempotent.")
            .Produces<IngestionResponse>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/{ingestionId:guid}", (string slug, Guid ingestionId, ClaimsPrincipal user, Core.Features.Ingestions.Ingestions ingestions, CancellationToken ct) =>
                ingestions.GetAsync(user, slug, ingestionId, ct))
            .WithName("GetIngestion")
            .WithSummary("Status (receiving, queued, running, committed, failed), progress in files and bytes, and the version or the error.")
            .Produces<IngestionResponse>().ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/{ingestionId:guid}/files", (string slug, Guid ingestionId, ClaimsPrincipal user, Core.Features.Ingestions.Ingestions ingestions, CancellationToken ct) =>
                ingestions.ListFilesAsync(user, slug, ingestionId, ct))
            .WithName("ListIngestionFiles")
            .WithSummary("The files staged so far, in the order they arrived.")
            .Produces<IReadOnlyList<IngestionFileResponse>>().ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }
}
