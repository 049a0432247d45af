using System.Security.Claims;
using Portal.Client.Models;

namespace Portal.Web.Features.Webhooks;

public static class WebhooksEndpoints
{
    public static RouteGroupBuilder MapWebhooksApi(this RouteGroupBuilder api)
    {
        var webhooks = api.MapGroup("/projects/{slug}/webhooks").WithTags("Webhooks")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        webhooks.MapGet("/", (string slug, ClaimsPrincipal user, Core.Features.Webhooks.Webhooks useCase, CancellationToken ct) =>
                useCase.ListAsync(user, slug, ct))
            .WithName("ListWebhooks").WithSummary("The project's webhooks with delivery counts (project admins). Secrets are never listed.");

        webhooks.MapPost("/", async (string slug, ClaimsPrincipal user, Core.Features.Webhooks.Webhooks useCase, CreateWebhookRequest request, CancellationToken ct) =>
            {
                var created = await useCase.CreateAsync(user, slug, request, ct);
                return TypedResults.Created($"/api/v1/projects/{slug}/webhooks/{created.Webhook.Id}", created);
            })
            .WithName("CreateWebhook")
            .WithSummary("Adds a webhook (project admins): an http(s) URL and the event types to send (none = all). The signing secret is in this answer only.")
            .ProducesProblem(StatusCodes.Status400BadRequest);

        webhooks.MapGet("/{id:guid}", (string slug, Guid id, ClaimsPrincipal user, Core.Features.Webhooks.Webhooks useCase, CancellationToken ct) =>
                useCase.GetAsync(user, slug, id, ct))
            .WithName("GetWebhook").WithSummary("One webhook with its delivery counts.");

        webhooks.MapPatch("/{id:guid}", (string slug, Guid id, ClaimsPrincipal user, Core.Features.Webhooks.Webhooks useCase, UpdateWebhookRequest request, CancellationToken ct) =>
                useCase.UpdateAsync(user, slug, id, request, ct))
            .WithName("UpdateWebhook").WithSummary("Changes the URL, event types, description or enabled flag; fields left out keep their value.")
            .ProducesProblem(StatusCodes.Status400BadRequest);

        webhooks.MapDelete("/{id:guid}", async (string slug, Guid id, ClaimsPrincipal user, Core.Features.Webhooks.Webhooks useCase, CancellationToken ct) =>
            {
                await useCase.DeleteAsync(user, slug, id, ct);
                return TypedResults.NoContent();
            })
            .WithName("DeleteWebhook").WithSummary("Deletes the webhook and its delivery log.");

        webhooks.MapPost("/{id:guid}/secret", (string slug, Guid id, ClaimsPrincipal user, Core.Features.Webhooks.Webhooks useCase, CancellationToken ct) =>
                useCase.RotateSecretAsync(user, slug, id, ct))
            .WithName("RotateWebhookSecret").WithSummary("Replaces the signing secret; the new one is in this answer only.");

        webhooks.MapGet("/{id:guid}/deliveries", (string slug, Guid id, ClaimsPrincipal user, Core.Features.Webhooks.Webhooks useCase, int? limit, long? before, CancellationToken ct) =>
                useCase.ListDeliveriesAsync(user, slug, id, limit, before, ct))
            .WithName("ListWebhookDeliveries")
            .WithSummary("The delivery log, newest first: state, attempts with response code and duration, next attempt. Pass the continuation token as ?before= for older ones.")
            .ProducesProblem(StatusCodes.Status400BadRequest);

        webhooks.MapPost("/{id:guid}/test", (string slug, Guid id, ClaimsPrincipal user, Core.Features.Webhooks.Webhooks useCase, CancellationToken ct) =>
                useCase.SendTestAsync(user, slug, id, ct))
            .WithName("SendWebhookTest")
            .WithSummary("Sends a signed webhook.test event now and answers with the first attempt's result; a failed test is retried like any delivery.")
            .ProducesProblem(StatusCodes.Status409Conflict);

        return api;
    }
}
