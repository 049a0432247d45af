using System.Security.Claims;
using Portal.Client.Models;
using Portal.Core.Features.Promotions;

namespace Portal.Web.Features.Promotions;

public static class PromotionsEndpoints
{
    public static RouteGroupBuilder MapPromotionsApi(this RouteGroupBuilder api)
    {
        var project = api.MapGroup("/projects/{slug}").WithTags("Promotions");

        var policies = project.MapGroup("/promotion-policies");
        policies.MapGet("/", (string slug, ClaimsPrincipal user, PromotionPolicies useCase, CancellationToken ct) => useCase.ListAsync(user, slug, ct))
            .WithName("ListPromotionPolicies").WithSummary("The project's protected aliases and their rules.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        policies.MapGet("/{alias}", (string slug, string alias, ClaimsPrincipal user, PromotionPolicies useCase, CancellationToken ct) => useCase.GetAsync(user, slug, alias, ct))
            .WithName("GetPromotionPolicy").WithSummary("The rules of one protected alias.").ProducesProblem(StatusCodes.Status404NotFound);
        policies.MapPut("/{alias}", (string slug, string alias, PromotionPolicyRequest request, ClaimsPrincipal user, PromotionPolicies useCase, CancellationToken ct) =>
                useCase.SetAsync(user, slug, alias, request, ct))
            .WithName("SetPromotionPolicy").WithSummary("Protects an alias name (project admins): approvals, approver role, checks, source alias.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        policies.MapDelete("/{alias}", async (string slug, string alias, ClaimsPrincipal user, PromotionPolicies useCase, CancellationToken ct) =>
            {
                await useCase.DeleteAsync(user, slug, alias, ct);
                return TypedResults.NoContent();
            })
            .WithName("DeletePromotionPolicy").WithSummary("Unprotects the alias; its pending requests are cancelled.")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        project.MapPost("/artifacts/{name}/promotions", async (string slug, string name, CreatePromotionRequest request, ClaimsPrincipal user, RequestPromotion useCase, CancellationToken ct) =>
            {
                var created = await useCase.RequestAsync(user, slug, name, request, ct);
                return TypedResults.Created($"/api/v1/projects/{slug}/promotions/{created.Id}", created);
            })
            .WithName("RequestPromotion").WithSummary("Asks to move a protected alias to a version; eligible reviewers are told.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        project.MapPost("/artifacts/{name}/aliases/{alias}/rollback", async (string slug, string name, string alias, RollbackRequest request, ClaimsPrincipal user, RequestPromotion useCase, CancellationToken ct) =>
            {
                var created = await useCase.RollbackAsync(user, slug, name, alias, request, ct);
                return TypedResults.Created($"/api/v1/projects/{slug}/promotions/{created.Id}", created);
            })
            .WithName("RollbackAlias")
            .WithSummary("Proposes the alias's previous version through its policy; emergency (project admins) applies it at once and leaves a review to do.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        var requests = project.MapGroup("/promotions");
        requests.MapGet("/", (string slug, string? state, string? alias, string? artifact, ClaimsPrincipal user, PromotionQueries useCase, CancellationToken ct) =>
                useCase.ListAsync(user, slug, state, alias, artifact, ct))
            .WithName("ListPromotions").WithSummary("The project's promotion requests, newest first; state = pending, open, approved, applied, rejected, cancelled, review or all.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        requests.MapGet("/{id:guid}", (string slug, Guid id, ClaimsPrincipal user, PromotionQueries useCase, CancellationToken ct) => useCase.GetAsync(user, slug, id, ct))
            .WithName("GetPromotion").WithSummary("One request with its checks, the diff against the alias's current version, and the discussion.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        requests.MapPost("/{id:guid}/approve", (string slug, Guid id, PromotionDecisionRequest request, ClaimsPrincipal user, DecidePromotion useCase, CancellationToken ct) =>
                useCase.ApproveAsync(user, slug, id, request, ct))
            .WithName("ApprovePromotion").WithSummary("Approves (never the requester; one person counts once); the last approval needed applies the request when its checks pass.")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        requests.MapPost("/{id:guid}/reject", (string slug, Guid id, PromotionDecisionRequest request, ClaimsPrincipal user, DecidePromotion useCase, CancellationToken ct) =>
                useCase.RejectAsync(user, slug, id, request, ct))
            .WithName("RejectPromotion").WithSummary("Rejects with a comment.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        requests.MapPost("/{id:guid}/comments", (string slug, Guid id, PromotionCommentRequest request, ClaimsPrincipal user, RequestPromotion useCase, CancellationToken ct) =>
                useCase.CommentAsync(user, slug, id, request, ct))
            .WithName("CommentOnPromotion").WithSummary("Adds a comment to the request's discussion.").ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        requests.MapPost("/{id:guid}/cancel", (string slug, Guid id, PromotionDecisionRequest request, ClaimsPrincipal user, RequestPromotion useCase, CancellationToken ct) =>
                useCase.CancelAsync(user, slug, id, request, ct))
            .WithName("CancelPromotion").WithSummary("Withdraws an open request (its author or a project admin).").ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        requests.MapPost("/{id:guid}/reconfirm", (string slug, Guid id, PromotionDecisionRequest request, ClaimsPrincipal user, RequestPromotion useCase, CancellationToken ct) =>
                useCase.ReconfirmAsync(user, slug, id, request, ct))
            .WithName("ReconfirmPromotion").WithSummary("Re-confirms a stale request against where the alias points now; earlier approvals no longer count.")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        requests.MapPost("/{id:guid}/apply", (string slug, Guid id, ClaimsPrincipal user, ApplyPromotion useCase, CancellationToken ct) =>
                useCase.ApplyAsync(user, slug, id, ct))
            .WithName("ApplyPromotion").WithSummary("Applies an approved request whose checks have passed since.")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        requests.MapPost("/{id:guid}/review", (string slug, Guid id, PromotionDecisionRequest request, ClaimsPrincipal user, DecidePromotion useCase, CancellationToken ct) =>
                useCase.ReviewAsync(user, slug, id, request, ct))
            .WithName("ReviewEmergencyPromotion").WithSummary("The after-the-fact review of an emergency change, by someone other than who made it.")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        var queue = api.MapGroup("/promotions").WithTags("Promotions");
        queue.MapGet("/", (string? scope, string? project, string? state, string? alias, ClaimsPrincipal user, PromotionQueries useCase, CancellationToken ct) =>
                useCase.QueueAsync(user, ParseScope(scope), project, state, alias, ct))
            .WithName("PromotionQueue").WithSummary("Across projects: scope=awaiting (default; what waits for your review) or mine (your requests).")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        queue.MapGet("/count", async (ClaimsPrincipal user, PromotionQueries useCase, CancellationToken ct) => new PromotionQueueCount(await useCase.AwaitingCountAsync(user, ct)))
            .WithName("PromotionQueueCount").WithSummary("How many requests wait for your review.");

        return api;
    }

    private static PromotionQueueScope ParseScope(string? scope) => scope?.Trim().ToLowerInvariant() switch
    {
        null or "" or "awaiting" => PromotionQueueScope.Awaiting,
        "mine" => PromotionQueueScope.Mine,
        _ => throw Portal.Core.PortalException.BadRequest(Portal.Client.ErrorCodes.ValidationFailed, $"'{scope}' is not a queue scope; use awaiting or mine."),
    };
}
