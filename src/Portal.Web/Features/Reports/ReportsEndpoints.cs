using System.Security.Claims;
using Portal.Client.Models;
using Portal.Core.Features.Reports;

namespace Portal.Web.Features.Reports;

/// <summary>The caller's own e-mail digest of a project: subscribe, change, stop, preview and send now.</summary>
public static class ReportsEndpoints
{
    public static RouteGroupBuilder MapReportsApi(this RouteGroupBuilder api)
    {
        var digest = api.MapGroup("/projects/{slug}/digest-subscription").WithTags("E-mail digests")
            .ProducesProblem(StatusCodes.Status404NotFound);

        digest.MapGet("/", (string slug, ClaimsPrincipal user, DigestSubscriptions useCase, CancellationToken ct) => useCase.GetAsync(user, slug, ct))
            .WithName("GetDigestSubscription")
            .WithSummary("Your digest subscription of the project, when the next digest is due and the last ones (404 digest_subscription_not_found when you have none).")
            .Produces<DigestSubscriptionResponse>();

        digest.MapPut("/", (string slug, DigestSubscriptionRequest request, ClaimsPrincipal user, DigestSubscriptions useCase, CancellationToken ct) =>
                useCase.PutAsync(user, slug, request, ct))
            .WithName("PutDigestSubscription")
            .WithSummary("Subscribes you (any member) to a daily or weekly digest at an hour UTC (and weekday), or changes the schedule.")
            .Produces<DigestSubscriptionResponse>().ProducesProblem(StatusCodes.Status400BadRequest);

        digest.MapDelete("/", async (string slug, ClaimsPrincipal user, DigestSubscriptions useCase, CancellationToken ct) =>
            {
                await useCase.DeleteAsync(user, slug, ct);
                return TypedResults.NoContent();
            })
            .WithName("DeleteDigestSubscription").WithSummary("Stops your digest of the project.");

        digest.MapGet("/preview", (string slug, ClaimsPrincipal user, DigestSubscriptions useCase, CancellationToken ct) => useCase.PreviewAsync(user, slug, ct))
            .WithName("PreviewDigest")
            .WithSummary("Your next digest as it would be sent now: subject, text and HTML bodies, counts. empty=true means nothing happened and no mail would be sent.")
            .Produces<DigestPreviewResponse>();

        digest.MapPost("/send", (string slug, ClaimsPrincipal user, DigestSubscriptions useCase, CancellationToken ct) => useCase.SendNowAsync(user, slug, ct))
            .WithName("SendDigestNow")
            .WithSummary("Sends your next digest now; the next scheduled one starts from here. Nothing is sent for an empty period (sent=false).")
            .Produces<DigestSendResponse>().ProducesProblem(StatusCodes.Status502BadGateway);

        return api;
    }
}
