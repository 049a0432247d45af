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

/// <summary>The reviewers' decisions on a request: approve (the approval that completes the required number applies it when the checks have passed), reject, and the after-the-fact review of an emergency change.</summary>
public sealed class DecidePromotion(PromotionSteps steps)
{
    /// <summary>
    /// Approves; the requester never can, and one person counts once. The approval that completes the required
    /// number applies the request at once when the checks have passed, in the same transaction.
    /// </summary>
    public Task<PromotionResponse> ApproveAsync(ClaimsPrincipal user, string slug, Guid id, PromotionDecisionRequest body, CancellationToken ct = default)
    {
        var comment = ValidateComment(body.Comment, required: false);
        return steps.ChangeAsync(user, slug, id, async step =>
        {
            var (db, grant, request, policy, _, now) = step;
            RequireEligible(step, "approve");
            RequirePending(request);
            await RequireFreshAsync(step, ct);
            if (await db.PromotionApprovals.AnyAsync(a => a.RequestId == request.Id && a.UserId == grant.UserId, ct))
                throw PortalException.Conflict(ErrorCodes.PromotionAlreadyApproved, "You have approved this request already; each person counts once.");
            db.PromotionApprovals.Add(new PromotionApproval { RequestId = request.Id, UserId = grant.UserId, Comment = comment, At = now });
            AddComment(db, request, grant.UserId, PromotionCommentKinds.Approved, comment ?? "", now);
            var approvals = await db.PromotionApprovals.CountAsync(a => a.RequestId == request.Id, ct) + 1;
            db.Record(now, grant.UserId, grant.Project.Id, "promotion.approved", "promotion_request", request.Id.ToString(),
                after: new { approvals, required = policy!.RequiredApprovals, comment });
            db.Raise(grant.Project.Id, PortalEventTypes.PromotionApproved, Payload(step, new { approvedBy = grant.UserId, approvals, required = policy.RequiredApprovals }), now);
            request.UpdatedAt = now;
            return approvals >= policy.RequiredApprovals ? await steps.ApplyIfChecksPassAsync(step, ct) : Outcome.None;
        }, ct);
    }

    /// <summary>Rejects with a comment (required); the requester is told.</summary>
    public Task<PromotionResponse> RejectAsync(ClaimsPrincipal user, string slug, Guid id, PromotionDecisionRequest body, CancellationToken ct = default)
    {
        return steps.ChangeAsync(user, slug, id, step =>
        {
            var (db, grant, request, _, _, now) = step;
            var comment = ValidateComment(body.Comment, required: true)!;
            RequireEligible(step, "reject");
            RequirePending(request);
            request.State = PromotionState.Rejected;
            request.UpdatedAt = now;
            AddComment(db, request, grant.UserId, PromotionCommentKinds.Rejected, comment, now);
            db.Record(now, grant.UserId, grant.Project.Id, "promotion.rejected", "promotion_request", request.Id.ToString(), after: new { comment });
            db.Raise(grant.Project.Id, PortalEventTypes.PromotionRejected, Payload(step, new { rejectedBy = grant.UserId, comment }), now);
            return Task.FromResult(Outcome.Decided);
        }, ct);
    }

    /// <summary>The mandatory after-the-fact review of an emergency change, by an eligible reviewer who did not make it.</summary>
    public Task<PromotionResponse> ReviewAsync(ClaimsPrincipal user, string slug, Guid id, PromotionDecisionRequest body, CancellationToken ct = default)
    {
        var comment = ValidateComment(body.Comment, required: false);
        return steps.ChangeAsync(user, slug, id, step =>
        {
            var (db, grant, request, _, _, now) = step;
            RequireEligible(step, "review");
            if (!request.Emergency || request.ReviewedAt is not null)
                throw PortalException.Conflict(ErrorCodes.PromotionClosed, "Only an emergency change that has not been reviewed yet can be reviewed.");
            request.ReviewedById = grant.UserId;
            request.ReviewedAt = now;
            request.UpdatedAt = now;
            AddComment(db, request, grant.UserId, PromotionCommentKinds.Reviewed, comment ?? "", now);
            db.Record(now, grant.UserId, grant.Project.Id, "promotion.reviewed", "promotion_request", request.Id.ToString(), after: new { comment });
            return Task.FromResult(Outcome.None);
        }, ct);
    }
}
