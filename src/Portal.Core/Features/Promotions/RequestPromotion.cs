using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Registry;
using Portal.Core.Features.Auditing;
using Portal.Core.Features.Events;
using static Portal.Core.Features.Promotions.PromotionSteps;

namespace Portal.Core.Features.Promotions;

/// <summary>Asking for an alias to move (a promotion or a rollback), and what the requester and the discussion do with an open request: re-confirm, cancel, comment.</summary>
public sealed class RequestPromotion(PromotionSteps steps)
{
    /// <summary>Asks for the alias to move to a version; reviewers are told by e-mail.</summary>
    public async Task<PromotionResponse> RequestAsync(ClaimsPrincipal user, string slug, string name, CreatePromotionRequest body, CancellationToken ct = default)
    {
        var grant = await steps.Access.RequireAsync(user, slug, ProjectRole.Contributor, ct);
        var alias = body.Alias?.Trim() ?? "";
        ArtifactNames.ValidateCustomAlias(alias);
        if (string.IsNullOrWhiteSpace(body.Version))
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, "Say which version to promote: \"version\": \"v3\" (or an alias, version id or digest).");
        var comment = ValidateComment(body.Comment, required: false);

        var id = await steps.InArtifactLockAsync(grant, name, async (db, artifact, now) =>
        {
            var policy = await RequirePolicyAsync(db, grant, artifact, alias, ct);
            // A registry collection promotes only while its card has every required field.
            await RegistryCards.RequireCompleteAsync(db, grant.Project.Id, "promote a version", ct);
            var version = await VersionQueries.ResolveAsync(db, artifact.Id, body.Version.Trim(), ct)
                ?? throw PortalException.NotFound(ErrorCodes.VersionNotFound, $"Artifact '{name}' has no committed version '{body.Version.Trim()}'.");
            var current = await CurrentTargetAsync(db, artifact.Id, alias, ct);
            if (current == version.Id)
                throw PortalException.Conflict(ErrorCodes.PromotionNoChange, $"'{name}:{alias}' already points at {Label(version)}.");
            if (policy.RequiredSourceAlias is { } source && !await PromotionChecks.WasAtAliasAsync(db, artifact.Id, source, version.Id, ct))
            {
                throw PortalException.Conflict(ErrorCodes.PromotionSourceAliasMissing,
                    $"{Label(version)} has never been at '{source}'; the policy of '{alias}' needs a version to be at '{source}' first.",
                    new Dictionary<string, object?> { ["sourceAlias"] = source });
            }
            return Open(db, grant, artifact, alias, version.Id, current, PromotionKind.Promotion, comment, now);
        }, ct);
        return await steps.ResponseAsync(grant, id, ct);
    }

    /// <summary>
    /// Proposes the alias's previous version through the same policy. With <see cref="RollbackRequest.Emergency"/>
    /// a project admin moves it at once; the change then waits for an after-the-fact review by someone else.
    /// </summary>
    public async Task<PromotionResponse> RollbackAsync(ClaimsPrincipal user, string slug, string name, string alias, RollbackRequest body, CancellationToken ct = default)
    {
        var grant = await steps.Access.RequireAsync(user, slug, body.Emergency ? ProjectRole.Admin : ProjectRole.Contributor, ct);
        ArtifactNames.ValidateCustomAlias(alias);
        var comment = ValidateComment(body.Comment, required: body.Emergency);
        var id = await steps.InArtifactLockAsync(grant, name, async (db, artifact, now) =>
        {
            var policy = await RequirePolicyAsync(db, grant, artifact, alias, ct);
            var current = await CurrentTargetAsync(db, artifact.Id, alias, ct)
                ?? throw PortalException.NotFound(ErrorCodes.AliasNotFound, $"Artifact '{name}' has no alias '{alias}' to roll back.");
            var previous = await PreviousTargetAsync(db, artifact.Id, alias, current, ct)
                ?? throw PortalException.Conflict(ErrorCodes.PromotionNoPreviousVersion, $"'{name}:{alias}' has not pointed at any other version that still exists: nothing to roll back to.");
            var id = Open(db, grant, artifact, alias, previous, current, PromotionKind.Rollback, comment, now);
            if (body.Emergency)
            {
                var request = db.PromotionRequests.Local.Single(r => r.Id == id);
                request.Emergency = true;
                await ApplyStepAsync(new Step(db, grant, request, policy, artifact.Name, now), ct);
            }
            return id;
        }, ct);
        return await steps.ResponseAsync(grant, id, ct);
    }

    /// <summary>
    /// Re-confirms a stale request against where the alias points now. Approvals given against the old position are
    /// dropped: reviewers approved a different change.
    /// </summary>
    public Task<PromotionResponse> ReconfirmAsync(ClaimsPrincipal user, string slug, Guid id, PromotionDecisionRequest body, CancellationToken ct = default)
    {
        var comment = ValidateComment(body.Comment, required: false);
        return steps.ChangeAsync(user, slug, id, async step =>
        {
            var (db, grant, request, _, _, now) = step;
            RequireOwner(step, "re-confirm");
            RequirePending(request);
            var current = await CurrentTargetAsync(db, request.ArtifactId, request.AliasName, ct);
            if (current == request.VersionId)
                throw PortalException.Conflict(ErrorCodes.PromotionNoChange, $"'{step.Artifact}:{request.AliasName}' already points at this version; cancel the request instead.");
            var before = request.ExpectedFromVersionId;
            request.ExpectedFromVersionId = current;
            request.State = PromotionState.Open;
            request.UpdatedAt = now;
            await db.PromotionApprovals.Where(a => a.RequestId == request.Id).ExecuteDeleteAsync(ct);
            AddComment(db, request, grant.UserId, PromotionCommentKinds.Reconfirmed,
                comment ?? "Re-confirmed against the alias's current version; earlier approvals no longer count.", now);
            db.Record(now, grant.UserId, grant.Project.Id, "promotion.reconfirmed", "promotion_request", request.Id.ToString(),
                before: new { expectedFromVersionId = before }, after: new { expectedFromVersionId = current });
            return Outcome.Opened;
        }, ct);
    }

    /// <summary>Withdraws a pending request (its requester or a project admin).</summary>
    public Task<PromotionResponse> CancelAsync(ClaimsPrincipal user, string slug, Guid id, PromotionDecisionRequest body, CancellationToken ct = default)
    {
        var comment = ValidateComment(body.Comment, required: false);
        return steps.ChangeAsync(user, slug, id, step =>
        {
            var (db, grant, request, _, _, now) = step;
            RequireOwner(step, "cancel");
            RequirePending(request);
            request.State = PromotionState.Cancelled;
            request.UpdatedAt = now;
            AddComment(db, request, grant.UserId, PromotionCommentKinds.Cancelled, comment ?? "", now);
            db.Record(now, grant.UserId, grant.Project.Id, "promotion.cancelled", "promotion_request", request.Id.ToString(), after: new { comment });
            return Task.FromResult(Outcome.None);
        }, ct);
    }

    /// <summary>Adds a comment to the discussion (any member of the project).</summary>
    public Task<PromotionResponse> CommentAsync(ClaimsPrincipal user, string slug, Guid id, PromotionCommentRequest body, CancellationToken ct = default)
    {
        return steps.ChangeAsync(user, slug, id, step =>
        {
            var (db, grant, request, _, _, now) = step;
            var text = ValidateComment(body.Text, required: true)!;
            AddComment(db, request, grant.UserId, PromotionCommentKinds.Comment, text, now);
            db.Record(now, grant.UserId, grant.Project.Id, "promotion.commented", "promotion_request", request.Id.ToString(), after: new { text });
            return Task.FromResult(Outcome.None);
        }, ct, minimum: ProjectRole.Viewer);
    }
}
