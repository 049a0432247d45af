using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Auditing;
using Portal.Core.Features.Events;

namespace Portal.Core.Features.Promotions;

/// <summary>
/// The writes of the promotion workflow: request, approve, reject, comment, cancel, re-confirm, apply, roll back and
/// review. Every step that can change an alias takes the artifact row lock first (as commits and alias moves do), so
/// approvals of one request, and requests for one alias, are decided one after another: a request applies exactly
/// once, and of two requests made against the same alias position only the first can apply (the other is stale).
/// </summary>
public sealed class PromotionWorkflow(
    IDbContextFactory<PortalDbContext> dbFactory,
    ArtifactWrites writes,
    ProjectAccess access,
    PromotionChecks checks,
    PromotionNotifications notifications,
    PromotionQueueSignal signal)
{
    public const int MaxCommentLength = 4000;

    /// <summary>What a step did, for the notifications sent after it commits.</summary>
    private enum Outcome
    {
        None,
        Opened,
        Decided,
    }

    private sealed record Step(PortalDbContext Db, ProjectAccessGrant Grant, PromotionRequest Request, PromotionPolicy? Policy, string Artifact, DateTimeOffset Now);

    /// <summary>Asks for the alias to move to a version; reviewers are told by e-mail.</summary>
    public async Task<PromotionResponse> RequestAsync(ClaimsPrincipal user, string slug, string name, CreatePromotionRequest body, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Contributor, ct);
        var alias = body.Alias?.Trim() ?? "";
        ArtifactNames.ValidateCustomAlias(alias);
        if (string.IsNullOrWhiteSpace(body.Version))
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, "Say which version to promote: \"version\": \"v3\" (or an alias, version id or digest).");
        var comment = ValidateComment(body.Comment, required: false);

        var id = await InArtifactLockAsync(grant, name, async (db, artifact, now) =>
        {
            var policy = await RequirePolicyAsync(db, grant, artifact, alias, ct);
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
        return await ResponseAsync(grant, id, ct);
    }

    /// <summary>
    /// Proposes the alias's previous version through the same policy. With <see cref="RollbackRequest.Emergency"/>
    /// a project admin moves it at once; the change then waits for an after-the-fact review by someone else.
    /// </summary>
    public async Task<PromotionResponse> RollbackAsync(ClaimsPrincipal user, string slug, string name, string alias, RollbackRequest body, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, body.Emergency ? ProjectRole.Admin : ProjectRole.Contributor, ct);
        ArtifactNames.ValidateCustomAlias(alias);
        var comment = ValidateComment(body.Comment, required: body.Emergency);
        var id = await InArtifactLockAsync(grant, name, async (db, artifact, now) =>
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
                await ApplyAsync(new Step(db, grant, request, policy, artifact.Name, now), ct);
            }
            return id;
        }, ct);
        return await ResponseAsync(grant, id, ct);
    }

    /// <summary>
    /// Approves; the requester never can, and one person counts once. The approval that completes the required
    /// number applies the request at once when the checks have passed, in the same transaction.
    /// </summary>
    public Task<PromotionResponse> ApproveAsync(ClaimsPrincipal user, string slug, Guid id, PromotionDecisionRequest body, CancellationToken ct = default)
    {
        var comment = ValidateComment(body.Comment, required: false);
        return ChangeAsync(user, slug, id, async step =>
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
            return approvals >= policy.RequiredApprovals ? await ApplyIfChecksPassAsync(step, ct) : Outcome.None;
        }, ct);
    }

    /// <summary>Rejects with a comment (required); the requester is told.</summary>
    public Task<PromotionResponse> RejectAsync(ClaimsPrincipal user, string slug, Guid id, PromotionDecisionRequest body, CancellationToken ct = default)
    {
        return ChangeAsync(user, slug, id, step =>
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

    /// <summary>Adds a comment to the discussion (any member of the project).</summary>
    public Task<PromotionResponse> CommentAsync(ClaimsPrincipal user, string slug, Guid id, PromotionCommentRequest body, CancellationToken ct = default)
    {
        return ChangeAsync(user, slug, id, step =>
        {
            var (db, grant, request, _, _, now) = step;
            var text = ValidateComment(body.Text, required: true)!;
            AddComment(db, request, grant.UserId, PromotionCommentKinds.Comment, text, now);
            db.Record(now, grant.UserId, grant.Project.Id, "promotion.commented", "promotion_request", request.Id.ToString(), after: new { text });
            return Task.FromResult(Outcome.None);
        }, ct, minimum: ProjectRole.Viewer);
    }

    /// <summary>Withdraws a pending request (its requester or a project admin).</summary>
    public Task<PromotionResponse> CancelAsync(ClaimsPrincipal user, string slug, Guid id, PromotionDecisionRequest body, CancellationToken ct = default)
    {
        var comment = ValidateComment(body.Comment, required: false);
        return ChangeAsync(user, slug, id, step =>
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

    /// <summary>
    /// Re-confirms a stale request against where the alias points now. Approvals given against the old position are
    /// dropped: reviewers approved a different change.
    /// </summary>
    public Task<PromotionResponse> ReconfirmAsync(ClaimsPrincipal user, string slug, Guid id, PromotionDecisionRequest body, CancellationToken ct = default)
    {
        var comment = ValidateComment(body.Comment, required: false);
        return ChangeAsync(user, slug, id, async step =>
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

    /// <summary>Applies an approved request whose checks have passed since it was approved.</summary>
    public Task<PromotionResponse> ApplyAsync(ClaimsPrincipal user, string slug, Guid id, CancellationToken ct = default) =>
        ChangeAsync(user, slug, id, async step =>
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
            var outcome = await ApplyIfChecksPassAsync(step, ct);
            if (request.State != PromotionState.Applied)
                throw PortalException.Conflict(ErrorCodes.PromotionChecksPending, "A required check has not passed yet; the request applies once it has.");
            return outcome;
        }, ct);

    /// <summary>The mandatory after-the-fact review of an emergency change, by an eligible reviewer who did not make it.</summary>
    public Task<PromotionResponse> ReviewAsync(ClaimsPrincipal user, string slug, Guid id, PromotionDecisionRequest body, CancellationToken ct = default)
    {
        var comment = ValidateComment(body.Comment, required: false);
        return ChangeAsync(user, slug, id, step =>
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

    private async Task<Outcome> ApplyIfChecksPassAsync(Step step, CancellationToken ct)
    {
        var request = step.Request;
        var current = await CurrentTargetAsync(step.Db, request.ArtifactId, request.AliasName, ct);
        var results = await checks.EvaluateAsync(step.Db, step.Policy!, request, current, ct);
        if (!PromotionChecks.AllPassed(results))
        {
            if (request.State == PromotionState.Open)
            {
                request.State = PromotionState.Approved;
                var waiting = string.Join(", ", results.Where(c => c.State != PromotionCheckStates.Passed).Select(c => c.Name));
                AddComment(step.Db, request, step.Grant.UserId, PromotionCommentKinds.Comment, $"Approved; waiting for checks: {waiting}.", step.Now);
            }
            return Outcome.None;
        }
        await ApplyAsync(step, ct);
        return Outcome.Decided;
    }

    /// <summary>Moves the alias and marks the request applied: one unit of work, saved by the caller.</summary>
    private static async Task ApplyAsync(Step step, CancellationToken ct)
    {
        var (db, grant, request, _, artifact, now) = step;
        var existing = await db.Aliases.SingleOrDefaultAsync(a => a.ArtifactId == request.ArtifactId && a.Name == request.AliasName, ct);
        var before = existing?.VersionId;
        var reason = request.Kind == PromotionKind.Rollback ? "rollback" : "promotion";
        if (!string.IsNullOrWhiteSpace(request.Comment))
            reason += ": " + request.Comment;
        AliasMoves.Move(db, request.ArtifactId, existing, request.AliasName, request.VersionId, grant.UserId, now, reason[..Math.Min(reason.Length, 2000)], request.Id);
        request.State = PromotionState.Applied;
        request.AppliedAt = now;
        request.UpdatedAt = now;
        AddComment(db, request, grant.UserId, PromotionCommentKinds.Applied, request.Emergency ? "Applied at once as an emergency change; it needs an after-the-fact review." : "", now);
        db.Record(now, grant.UserId, grant.Project.Id, "artifact_alias.moved", "artifact_alias", $"{request.ArtifactId}/{request.AliasName}",
            before: new { versionId = before }, after: new { artifact, alias = request.AliasName, versionId = request.VersionId, promotionRequestId = request.Id });
        db.Record(now, grant.UserId, grant.Project.Id, "promotion.applied", "promotion_request", request.Id.ToString(),
            before: new { versionId = before }, after: new { versionId = request.VersionId, request.Emergency });
        db.Raise(grant.Project.Id, PortalEventTypes.PromotionApplied, Payload(step, new { fromVersionId = before, request.Emergency }), now);
    }

    private static Guid Open(PortalDbContext db, ProjectAccessGrant grant, Artifact artifact, string alias, Guid versionId, Guid? current, PromotionKind kind, string? comment, DateTimeOffset now)
    {
        var request = new PromotionRequest
        {
            Id = Guid.NewGuid(),
            ProjectId = grant.Project.Id,
            ArtifactId = artifact.Id,
            AliasName = alias,
            VersionId = versionId,
            ExpectedFromVersionId = current,
            Kind = kind,
            State = PromotionState.Open,
            RequestedById = grant.UserId,
            Comment = comment ?? "",
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.PromotionRequests.Add(request);
        AddComment(db, request, grant.UserId, PromotionCommentKinds.Requested, request.Comment, now);
        db.Record(now, grant.UserId, grant.Project.Id, "promotion.requested", "promotion_request", request.Id.ToString(),
            after: new { artifact = artifact.Name, alias, versionId, fromVersionId = current, kind = kind.ToString().ToLowerInvariant(), comment });
        db.Raise(grant.Project.Id, PortalEventTypes.PromotionRequested,
            Payload(new Step(db, grant, request, null, artifact.Name, now), new { fromVersionId = current, requestedBy = grant.UserId }), now);
        return request.Id;
    }

    /// <summary>The common body of every webhook payload about a request, plus what the step adds.</summary>
    private static object Payload(Step step, object details) => new
    {
        requestId = step.Request.Id,
        project = step.Grant.Project.Slug,
        artifact = step.Artifact,
        alias = step.Request.AliasName,
        versionId = step.Request.VersionId,
        kind = step.Request.Kind.ToString().ToLowerInvariant(),
        details,
    };

    /// <summary>Runs a step on an existing request under its artifact's lock, saves it, then sends what it calls for.</summary>
    private async Task<PromotionResponse> ChangeAsync(ClaimsPrincipal user, string slug, Guid id, Func<Step, Task<Outcome>> change, CancellationToken ct, ProjectRole minimum = ProjectRole.Contributor)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        Guid artifactId;
        await using (var lookup = await dbFactory.CreateDbContextAsync(ct))
        {
            artifactId = await lookup.PromotionRequests.AsNoTracking().Where(r => r.Id == id && r.ProjectId == grant.Project.Id).Select(r => (Guid?)r.ArtifactId).SingleOrDefaultAsync(ct)
                ?? throw PromotionQueries.NotFound(slug, id);
        }
        if (grant.Role < minimum)
            throw PortalException.Forbidden($"This needs the {minimum} role in project '{slug}'; you are a {grant.Role}. Ask a project admin to change your role.");

        await writes.RunAsync(artifactId, async write =>
        {
            var request = await write.Db.PromotionRequests.SingleAsync(r => r.Id == id, ct);
            var policy = await PromotionPolicies.FindAsync(write.Db, request.ProjectId, request.AliasName, ct);
            var outcome = await change(new Step(write.Db, grant, request, policy, write.Artifact.Name, write.Now));
            if (outcome == Outcome.Opened)
                write.AfterCommit("the e-mail to reviewers", token => notifications.RequestOpenedAsync(id, token));
            else if (outcome == Outcome.Decided)
                write.AfterCommit("the e-mail about the decision", token => notifications.DecidedAsync(id, token));
            return outcome;
        }, ct);
        signal.Raise();
        return await ResponseAsync(grant, id, ct);
    }

    /// <summary>Creates a request under the artifact's lock (the artifact must exist); reviewers are told once it is saved.</summary>
    private async Task<Guid> InArtifactLockAsync(ProjectAccessGrant grant, string name, Func<PortalDbContext, Artifact, DateTimeOffset, Task<Guid>> create, CancellationToken ct)
    {
        var id = await writes.RunAsync(grant, name, async write =>
        {
            var id = await create(write.Db, write.Artifact, write.Now);
            write.AfterCommit("the e-mail to reviewers", token => notifications.RequestOpenedAsync(id, token));
            return id;
        }, ct);
        signal.Raise();
        return id;
    }

    private async Task<PromotionResponse> ResponseAsync(ProjectAccessGrant grant, Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var request = await db.PromotionRequests.AsNoTracking().SingleAsync(r => r.Id == id, ct);
        return (await PromotionQueries.ToResponsesAsync(db, [request], grant.UserId, new Dictionary<Guid, ProjectRole> { [grant.Project.Id] = grant.Role }, ct))[0];
    }

    private static async Task<PromotionPolicy> RequirePolicyAsync(PortalDbContext db, ProjectAccessGrant grant, Artifact artifact, string alias, CancellationToken ct) =>
        await PromotionPolicies.FindAsync(db, grant.Project.Id, alias, ct)
        ?? throw PortalException.Conflict(ErrorCodes.AliasNotProtected,
            $"Alias '{alias}' has no promotion policy in project '{grant.Project.Slug}', so it needs no approval: set it directly with 'portal artifact alias set {artifact.Name}:vN {alias}'.");

    internal static Task<Guid?> CurrentTargetAsync(PortalDbContext db, Guid artifactId, string alias, CancellationToken ct) =>
        db.Aliases.AsNoTracking().Where(a => a.ArtifactId == artifactId && a.Name == alias).Select(a => (Guid?)a.VersionId).SingleOrDefaultAsync(ct);

    /// <summary>The most recent version the alias pointed at other than <paramref name="current"/> that is still committed.</summary>
    internal static async Task<Guid?> PreviousTargetAsync(PortalDbContext db, Guid artifactId, string alias, Guid current, CancellationToken ct)
    {
        var targets = await db.AliasEvents.AsNoTracking()
            .Where(e => e.ArtifactId == artifactId && e.AliasName == alias && e.ToVersionId != null && e.ToVersionId != current)
            .Where(e => db.ArtifactVersions.Any(v => v.Id == e.ToVersionId && v.State == VersionState.Committed))
            .OrderByDescending(e => e.At).ThenByDescending(e => e.Id)
            .Select(e => e.ToVersionId)
            .FirstOrDefaultAsync(ct);
        return targets;
    }

    private static void RequireEligible(Step step, string verb)
    {
        if (step.Policy is null)
            throw PortalException.Conflict(ErrorCodes.AliasNotProtected, $"Alias '{step.Request.AliasName}' no longer has a promotion policy.");
        if (step.Request.RequestedById == step.Grant.UserId)
        {
            throw new PortalException(403, ErrorCodes.PromotionSelfApproval,
                $"You made this request, so you cannot {verb} it: a second person must. Ask a {step.Policy.ApproverRole} of the project.");
        }
        if (step.Grant.Role < step.Policy.ApproverRole)
        {
            throw PortalException.Forbidden(
                $"Only a {step.Policy.ApproverRole} or above may {verb} promotions to '{step.Request.AliasName}'; you are a {step.Grant.Role}.");
        }
    }

    private static void RequireOwner(Step step, string verb)
    {
        if (step.Request.RequestedById != step.Grant.UserId && step.Grant.Role < ProjectRole.Admin)
            throw PortalException.Forbidden($"Only the requester or a project admin may {verb} this request.");
    }

    private static void RequirePending(PromotionRequest request)
    {
        if (!request.IsPending)
        {
            throw PortalException.Conflict(ErrorCodes.PromotionClosed, $"The request is {request.State.ToString().ToLowerInvariant()}; nothing more can be decided on it.",
                new Dictionary<string, object?> { ["state"] = request.State.ToString().ToLowerInvariant() });
        }
    }

    private static async Task RequireFreshAsync(Step step, CancellationToken ct)
    {
        var current = await CurrentTargetAsync(step.Db, step.Request.ArtifactId, step.Request.AliasName, ct);
        if (current != step.Request.ExpectedFromVersionId)
        {
            throw PortalException.Conflict(ErrorCodes.PromotionStale,
                $"'{step.Artifact}:{step.Request.AliasName}' has moved since this request was made; the requester must re-confirm it against the current version before it can be approved.",
                new Dictionary<string, object?> { ["currentVersionId"] = current });
        }
    }

    private static void AddComment(PortalDbContext db, PromotionRequest request, string authorId, string kind, string text, DateTimeOffset now) =>
        db.PromotionComments.Add(new PromotionComment { RequestId = request.Id, AuthorId = authorId, Kind = kind, Text = text, At = now });

    private static string? ValidateComment(string? comment, bool required)
    {
        var text = comment?.Trim() ?? "";
        if (required && text.Length == 0)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, "Give a comment that says why.");
        if (text.Length > MaxCommentLength)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, $"A comment has at most {MaxCommentLength:N0} characters (got {text.Length:N0}).");
        return text.Length == 0 ? null : text;
    }

    private static string Label(ArtifactVersion version) => ArtifactNames.FormatIndex(version.Index!.Value);
}
