using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Auditing;
using Portal.Core.Features.Events;
using static Portal.Core.Features.Promotions.PromotionSteps;

namespace Portal.Core.Features.Promotions;

/// <summary>Applies an approved request once its required checks have passed.</summary>
public sealed class ApplyPromotion(PromotionSteps steps)
{
    /// <summary>Applies an approved request whose checks have passed since it was approved.</summary>
    public Task<PromotionResponse> ApplyAsync(ClaimsPrincipal user, string slug, Guid id, CancellationToken ct = default) =>
        steps.ChangeAsync(user, slug, id, async step =>
        {
            var request = step.Request;
            if (request.RequestedById != step.Grant.UserId)
                RequireEligible(step, "apply");
            if (request.State != PromotionState.Approved)
            {
                RequirePending(request);
                throw PortalException.Conflict(ErrorCodes.PromotionClosed, "The request does not have its approvals yet.");
            }
            await RequireFreshAsync(step, ct);
            var outcome = await steps.ApplyIfChecksPassAsync(step, ct);
            if (request.State != PromotionState.Applied)
                throw PortalException.Conflict(ErrorCodes.PromotionChecksPending, "A required check has not passed yet; the request applies once it has.");
            return outcome;
        }, ct);
}
