using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Storage;

namespace Portal.Web.Features.Artifacts;

public static class ArtifactsEndpoints
{
    /// <summary>Carries the version metadata (a JSON object) when the body is an NDJSON manifest.</summary>
    public const string MetadataHeader = "Portal-Metadata";

    public static RouteGroupBuilder MapArtifactsApi(this RouteGroupBuilder api)
    {
        var project = api.MapGroup("/projects/{slug}").WithTags("Artifacts");
        var artifacts = project.MapGroup("/artifacts");

        artifacts.MapGet("/", (string slug, string? type, string? search, string? metadata, ClaimsPrincipal user, ArtifactCatalog useCase, CancellationToken ct) =>
                useCase.ListAsync(user, slug, type, search, metadata, ct))
            .WithName("ListArtifacts").WithSummary("Artifacts of the project, optionally filtered by type, a name search and metadata=key=value on the latest version's metadata (dots reach nested keys).")
            .ProducesProblem(StatusCodes.Status404NotFound);

        artifacts.MapGet("/{name}", (string slug, string name, ClaimsPrincipal user, ArtifactCatalog useCase, CancellationToken ct) =>
                useCase.GetAsync(user, slug, name, ct))
            .WithName("GetArtifact").WithSummary("One artifact: its type, description and version count.").ProducesProblem(StatusCodes.Status404NotFound);

        artifacts.MapGet("/{name}/versions", (string slug, string name, int? limit, string? continuationToken, ClaimsPrincipal user, ArtifactCatalog useCase, CancellationToken ct) =>
                useCase.ListVersionsAsync(user, slug, name, limit, continuationToken, ct))
            .WithName("ListArtifactVersions").WithSummary("Committed versions, newest first; pass continuationToken for the next page.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        artifacts.MapGet("/{name}/versions/{reference}", (string slug, string name, string reference, ClaimsPrincipal user, ArtifactCatalog useCase, CancellationToken ct) =>
                useCase.GetVersionAsync(user, slug, name, reference, ct))
            .WithName("GetArtifactVersion").WithSummary("One committed version by vN, alias, version id or manifest digest.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        artifacts.MapPost("/{name}/versions", CreateVersionAsync)
            .WithName("CreateArtifactVersion")
            .WithSummary("Creates a pending version from a manifest (NDJSON stream, JSON entries, or base + patch); creates the artifact on its first version.")
            // One Accepts: it is also the routing filter, and a second call would replace the first.
            .Accepts<CreateVersionRequest>("application/json", "application/x-ndjson", "application/ndjson")
            .Produces<CreateVersionResponse>(StatusCodes.Status201Created).Produces<CreateVersionResponse>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        artifacts.MapPost("/{name}/versions/{versionId:guid}/commit", (string slug, string name, Guid versionId, ClaimsPrincipal user, CommitVersion useCase, CancellationToken ct) =>
                useCase.CommitAsync(user, slug, name, versionId, ct))
            .WithName("CommitArtifactVersion")
            .WithSummary("Assigns vN and moves latest once every blob is stored; answers unchanged when identical content became latest first.")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        artifacts.MapPost("/{name}/versions/{versionId:guid}/abort", async (string slug, string name, Guid versionId, ClaimsPrincipal user, CommitVersion useCase, CancellationToken ct) =>
            {
                await useCase.AbortAsync(user, slug, name, versionId, ct);
                return TypedResults.NoContent();
            })
            .WithName("AbortArtifactVersion").WithSummary("Abandons a pending version.")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        artifacts.MapPut("/{name}/aliases/{alias}", (string slug, string name, string alias, SetAliasRequest request, ClaimsPrincipal user, ArtifactAliases useCase, CancellationToken ct) =>
                useCase.SetAsync(user, slug, name, alias, request, ct))
            .WithName("SetArtifactAlias").WithSummary("Points a custom alias at a committed version (recorded in the alias history).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        artifacts.MapDelete("/{name}/aliases/{alias}", async (string slug, string name, string alias, string? reason, ClaimsPrincipal user, ArtifactAliases useCase, CancellationToken ct) =>
            {
                await useCase.DeleteAsync(user, slug, name, alias, reason, ct);
                return TypedResults.NoContent();
            })
            .WithName("DeleteArtifactAlias").WithSummary("Removes a custom alias (recorded in the alias history, with the reason).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        artifacts.MapGet("/{name}/aliases/{alias}/history", (string slug, string name, string alias, ClaimsPrincipal user, ArtifactAliases useCase, CancellationToken ct) =>
                useCase.HistoryAsync(user, slug, name, alias, ct))
            .WithName("GetArtifactAliasHistory").WithSummary("Every move of the alias, newest first.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        artifacts.MapGet("/{name}/aliases/{alias}/at", (string slug, string name, string alias, DateTimeOffset time, ClaimsPrincipal user, ArtifactAliases useCase, CancellationToken ct) =>
                useCase.AtAsync(user, slug, name, alias, time, ct))
            .WithName("GetArtifactAliasAtTime").WithSummary("The version the alias pointed at at the given time (ISO 8601).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        project.MapGet("/resolve/{specification}", (string slug, string specification, ClaimsPrincipal user, ArtifactCatalog useCase, CancellationToken ct) =>
                useCase.ResolveAsync(user, slug, specification, ct))
            .WithName("ResolveArtifactVersion").WithSummary("Resolves name:alias (or name:vN, name:digest) to a committed version.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return api;
    }

    private static async Task<IResult> CreateVersionAsync(
        string slug, string name, HttpContext http, ClaimsPrincipal user, CreateVersion useCase, ProjectAccess access, IOptions<BlobStoreOptions> storage, CancellationToken ct)
    {
        // Who may write comes before what was sent: an outsider learns nothing from the body's problems.
        await access.RequireAsync(user, slug, ProjectRole.Contributor, ct);
        var request = http.Request;
        // A large manifest's memory is handed back to the system once such requests are over.
        using var trim = http.RequestServices.GetRequiredService<Infrastructure.MemoryTrim>().Begin(request.ContentLength);
        CreateVersionResponse result;
        if (IsNdjson(request))
        {
            // A million-file manifest is far beyond the default body limit; it is streamed, never buffered.
            BlobsEndpoints.AllowBodyUpTo(http, storage.Value.MaxManifestBytes);
            result = await useCase.FromNdjsonAsync(user, slug, name, FieldsFromQuery(request), request.Body, ct);
        }
        else if (request.HasJsonContentType())
        {
            // Streamed too: entries go from the request into the external sort one by one.
            var json = http.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
            result = await useCase.FromJsonAsync(user, slug, name, request.Body, json, ct);
        }
        else
        {
            throw new PortalException(StatusCodes.Status415UnsupportedMediaType, ErrorCodes.UnsupportedMediaType,
                "Send the manifest as application/x-ndjson (gzip allowed) with the other fields as query parameters, or as a JSON body (application/json).");
        }

        return result.Status == CreateVersionStatus.Pending
            ? Results.Json(result, statusCode: StatusCodes.Status201Created)
            : Results.Ok(result);
    }

    private static bool IsNdjson(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
        && (type.MediaType.Equals("application/x-ndjson", StringComparison.OrdinalIgnoreCase)
            || type.MediaType.Equals("application/ndjson", StringComparison.OrdinalIgnoreCase));

    /// <summary>In NDJSON mode the body is the manifest, so the other fields travel as query parameters (metadata also as a header).</summary>
    private static NewVersionFields FieldsFromQuery(HttpRequest request)
    {
        var query = request.Query;
        Guid? runId = null;
        if (query["runId"].ToString() is { Length: > 0 } run)
        {
            runId = Guid.TryParse(run, out var parsed)
                ? parsed
                : throw PortalException.BadRequest(ErrorCodes.ValidationFailed, $"runId \"{run}\" is not a run id (a GUID).");
        }
        var aliases = query["aliases"].Concat(query["alias"])
            .SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .ToList();
        var metadata = request.Headers[MetadataHeader].ToString() is { Length: > 0 } header ? header : query["metadata"].ToString();
        return new NewVersionFields(query["type"].ToString(), query["description"].ToString(), metadata, aliases, runId);
    }
}
