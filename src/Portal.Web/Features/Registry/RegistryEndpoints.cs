using System.Security.Claims;
using Portal.Client.Models;
using Portal.Core.Features.Promotions;
using Portal.Core.Features.Registry;

namespace Portal.Web.Features.Registry;

public static class RegistryEndpoints
{
    public static RouteGroupBuilder MapRegistryApi(this RouteGroupBuilder api)
    {
        var collections = api.MapGroup("/registry/collections").WithTags("Registry");

        collections.MapGet("/", (ClaimsPrincipal user, RegistryCollections useCase, string? search, CancellationToken ct) =>
                useCase.ListAsync(user, search, ct))
            .WithName("ListRegistryCollections")
            .WithSummary("The site-wide registry collections, by name; search matches name, title, type and card text.");

        collections.MapPost("/", async (ClaimsPrincipal user, RegistryCollections useCase, CreateRegistryCollectionRequest request, CancellationToken ct) =>
            {
                var created = await useCase.CreateAsync(user, request, ct);
                return TypedResults.Created($"/api/v1/registry/collections/{created.Name}", created);
            })
            .WithName("CreateRegistryCollection")
            .WithSummary("Creates a collection (any signed-in user; you become its admin). Its name shares the namespace of project slugs.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);

        collections.MapGet("/{name}", (string name, ClaimsPrincipal user, RegistryCollections useCase, CancellationToken ct) =>
                useCase.GetAsync(user, name, ct))
            .WithName("GetRegistryCollection")
            .WithSummary("One collection: card, required fields and the missing ones, aliases, your role.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        collections.MapPatch("/{name}", (string name, UpdateRegistryCollectionRequest request, ClaimsPrincipal user, RegistryCollections useCase, CancellationToken ct) =>
                useCase.UpdateAsync(user, name, request, ct))
            .WithName("UpdateRegistryCollection")
            .WithSummary("Changes the title, model card, required fields or field values (collection admins).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        collections.MapGet("/{name}/versions", (string name, ClaimsPrincipal user, RegistryVersions useCase, CancellationToken ct) =>
                useCase.ListAsync(user, name, ct))
            .WithName("ListRegistryVersions")
            .WithSummary("Every version the collection has had, newest first, with its source (redacted when you cannot read the source project).")
            .ProducesProblem(StatusCodes.Status404NotFound);

        collections.MapGet("/{name}/versions/{version}", (string name, string version, ClaimsPrincipal user, RegistryVersions useCase, CancellationToken ct) =>
                useCase.GetAsync(user, name, version, ct))
            .WithName("GetRegistryVersion")
            .WithSummary("One collection version by vN, alias, id or digest.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        collections.MapGet("/{name}/versions/{version}/lineage", (string name, string version, ClaimsPrincipal user, RegistryVersions useCase, CancellationToken ct) =>
                useCase.LineageAsync(user, name, version, ct))
            .WithName("GetRegistryVersionLineage")
            .WithSummary("The lineage across the link: the version, its source, and the source project's graph around it when you can read that project.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        collections.MapPost("/{name}/links", async (string name, LinkRegistryVersionRequest request, ClaimsPrincipal user, RegistryLinks useCase, CancellationToken ct) =>
            {
                var linked = await useCase.LinkAsync(user, name, request, ct);
                return TypedResults.Created($"/api/v1/registry/collections/{name}/versions/{linked.Version}", linked);
            })
            .WithName("LinkRegistryVersion")
            .WithSummary("Links a committed project version into the collection as its next version (same manifest, nothing copied). Needs Viewer in the source project and Contributor in the collection.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        collections.MapDelete("/{name}/links/{version}", (string name, string version, ClaimsPrincipal user, RegistryLinks useCase, CancellationToken ct) =>
                useCase.UnlinkAsync(user, name, version, ct))
            .WithName("UnlinkRegistryVersion")
            .WithSummary("Unlinks a version (collection admins); its record and the alias history stay. Refused while a custom alias points at it.")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        collections.MapPost("/{name}/promotions", async (string name, CreatePromotionRequest request, ClaimsPrincipal user, RegistryCollections collectionsUseCase, RequestPromotion useCase, CancellationToken ct) =>
            {
                await collectionsUseCase.GetAsync(user, name, ct);
                var created = await useCase.RequestAsync(user, name, name, request, ct);
                return TypedResults.Created($"/api/v1/projects/{name}/promotions/{created.Id}", created);
            })
            .WithName("RequestRegistryPromotion")
            .WithSummary("Asks to move a protected alias of the collection to one of its versions: the project promotion machinery (policies, approvals, four eyes) on the collection.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        return api;
    }
}
