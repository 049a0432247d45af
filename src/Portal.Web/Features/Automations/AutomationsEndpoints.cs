using System.Security.Claims;
using Portal.Client.Models;
using Portal.Core.Features.Automations;
using AutomationRules = Portal.Core.Features.Automations.Automations;

namespace Portal.Web.Features.Automations;

public static class AutomationsEndpoints
{
    private const string CreateSummary =
        "Adds a rule (admins): a trigger (version.committed with an optional artifact type, version.linked in a collection, alias.moved with an " +
        "optional alias) and an action (compare, validate, evaluation_request with a URL, email). An evaluation_request rule's signing secret is in this answer only.";

    private const string RunsSummary =
        "The rule's runs, newest first, with their outcome (pending, running, succeeded, failed, skipped) and message. Pass the continuation token as ?before= for older ones.";

    /// <summary>The same routes under a project (<c>/projects/{slug}/automations</c>) and a collection (<c>/registry/collections/{name}/automations</c>).</summary>
    public static RouteGroupBuilder MapAutomationsApi(this RouteGroupBuilder api)
    {
        var project = api.MapGroup("/projects/{slug}/automations").WithTags("Automations")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        project.MapGet("/", (string slug, ClaimsPrincipal user, AutomationRules useCase, CancellationToken ct) =>
                useCase.ListAsync(user, AutomationScope.Project(slug), ct))
            .WithName("ListAutomations")
            .WithSummary("The project's automation rules with their last run (members; an evaluation request's URL is shown to admins only).");

        project.MapPost("/", async (string slug, ClaimsPrincipal user, AutomationRules useCase, CreateAutomationRequest request, CancellationToken ct) =>
            {
                var created = await useCase.CreateAsync(user, AutomationScope.Project(slug), request, ct);
                return TypedResults.Created($"/api/v1/projects/{slug}/automations/{created.Rule.Id}", created);
            })
            .WithName("CreateAutomation").WithSummary(CreateSummary).ProducesProblem(StatusCodes.Status400BadRequest);

        project.MapPatch("/{id:guid}", (string slug, Guid id, ClaimsPrincipal user, AutomationRules useCase, UpdateAutomationRequest request, CancellationToken ct) =>
                useCase.UpdateAsync(user, AutomationScope.Project(slug), id, request, ct))
            .WithName("UpdateAutomation")
            .WithSummary("Renames, enables or disables a rule, or changes its filter or URL (admins); fields left out keep their value.")
            .ProducesProblem(StatusCodes.Status400BadRequest);

        project.MapDelete("/{id:guid}", async (string slug, Guid id, ClaimsPrincipal user, AutomationRules useCase, CancellationToken ct) =>
            {
                await useCase.DeleteAsync(user, AutomationScope.Project(slug), id, ct);
                return TypedResults.NoContent();
            })
            .WithName("DeleteAutomation").WithSummary("Deletes the rule and its runs (admins).");

        project.MapGet("/{id:guid}/runs", (string slug, Guid id, ClaimsPrincipal user, AutomationRules useCase, int? limit, long? before, CancellationToken ct) =>
                useCase.ListRunsAsync(user, AutomationScope.Project(slug), id, limit, before, ct))
            .WithName("ListAutomationRuns").WithSummary(RunsSummary).ProducesProblem(StatusCodes.Status400BadRequest);

        var collection = api.MapGroup("/registry/collections/{name}/automations").WithTags("Automations")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        collection.MapGet("/", (string name, ClaimsPrincipal user, AutomationRules useCase, CancellationToken ct) =>
                useCase.ListAsync(user, AutomationScope.ForCollection(name), ct))
            .WithName("ListCollectionAutomations")
            .WithSummary("The collection's automation rules with their last run (every signed-in user; an evaluation request's URL is shown to collection admins only).");

        collection.MapPost("/", async (string name, ClaimsPrincipal user, AutomationRules useCase, CreateAutomationRequest request, CancellationToken ct) =>
            {
                var created = await useCase.CreateAsync(user, AutomationScope.ForCollection(name), request, ct);
                return TypedResults.Created($"/api/v1/registry/collections/{name}/automations/{created.Rule.Id}", created);
            })
            .WithName("CreateCollectionAutomation").WithSummary(CreateSummary).ProducesProblem(StatusCodes.Status400BadRequest);

        collection.MapPatch("/{id:guid}", (string name, Guid id, ClaimsPrincipal user, AutomationRules useCase, UpdateAutomationRequest request, CancellationToken ct) =>
                useCase.UpdateAsync(user, AutomationScope.ForCollection(name), id, request, ct))
            .WithName("UpdateCollectionAutomation")
            .WithSummary("Renames, enables or disables a collection rule, or changes its filter or URL (collection admins).")
            .ProducesProblem(StatusCodes.Status400BadRequest);

        collection.MapDelete("/{id:guid}", async (string name, Guid id, ClaimsPrincipal user, AutomationRules useCase, CancellationToken ct) =>
            {
                await useCase.DeleteAsync(user, AutomationScope.ForCollection(name), id, ct);
                return TypedResults.NoContent();
            })
            .WithName("DeleteCollectionAutomation").WithSummary("Deletes the collection rule and its runs (collection admins).");

        collection.MapGet("/{id:guid}/runs", (string name, Guid id, ClaimsPrincipal user, AutomationRules useCase, int? limit, long? before, CancellationToken ct) =>
                useCase.ListRunsAsync(user, AutomationScope.ForCollection(name), id, limit, before, ct))
            .WithName("ListCollectionAutomationRuns").WithSummary(RunsSummary).ProducesProblem(StatusCodes.Status400BadRequest);

        return api;
    }
}
