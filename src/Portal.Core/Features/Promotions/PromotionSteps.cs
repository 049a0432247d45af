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
/// What the promotion use cases (<see cref="RequestPromotion"/>, <see cref="DecidePromotion"/>,
/// <see cref="ApplyPromotion"/>) share: every step that can change an alias runs as an <see cref="ArtifactWrites"/> unit on
/// the request's artifact, so approvals of one request, and requests for one alias, are decided one after another: a
/// request applies exactly once, and of two requests made against the same alias position only the first can apply
/// (the other is stale). Notifications go out after the unit commits.
/// </summary>
public sealed class PromotionSteps(
    IDbContextFactory<PortalDbContext> dbFactory,
    ArtifactWrites writes,
    ProjectAccess access,
    PromotionChecks checks,
    PromotionNotifications notifications,
    PromotionQueueSignal signal)
{
    internal ProjectAccess Access => access;

    public const int MaxCommentLength = 4000;

    /// <summary>What a step did, for the notifications sent after it commits.</summary>
    internal enum Outcome
    {
        None,
        Opened,
        Decided,
    }

    internal sealed record Step(PortalDbContext Db, ProjectAccessGrant Grant, PromotionRequest Request, PromotionPolicy? Policy, string Artifact, DateTimeOffset Now);

    internal async Task<Outcome> ApplyIfChecksPassAsync(Step step, CancellationToken ct)
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
        await ApplyStepAsync(step, ct);
        return Outcome.Decided;
    }

    /// <summary>Moves the alias and marks the request applied: one unit of work, saved by the caller.</summary>
    internal static async Task ApplyStepAsync(Step step, CancellationToken ct)
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

    internal static Guid Open(PortalDbContext db, ProjectAccessGrant grant, Artifact artifact, string alias, Guid versionId, Guid? current, PromotionKind kind, string? comment, DateTimeOffset now)
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
    internal static object Payload(Step step, object details) => new
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
    internal async Task<PromotionResponse> ChangeAsync(ClaimsPrincipal user, string slug, Guid id, Func<Step, Task<Outcome>> change, CancellationToken ct, ProjectRole minimum = ProjectRole.Contributor)
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
    internal async Task<Guid> InArtifactLockAsync(ProjectAccessGrant grant, string name, Func<PortalDbContext, Artifact, DateTimeOffset, Task<Guid>> create, CancellationToken ct)
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

    internal async Task<PromotionResponse> ResponseAsync(ProjectAccessGrant grant, Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var request = await db.PromotionRequests.AsNoTracking().SingleAsync(r => r.Id == id, ct);
        return (await PromotionQueries.ToResponsesAsync(db, [request], grant.UserId, new Dictionary<Guid, ProjectRole> { [grant.Project.Id] = grant.Role }, ct))[0];
    }

    internal static async Task<PromotionPolicy> RequirePolicyAsync(PortalDbContext db, ProjectAccessGrant grant, Artifact artifact, string alias, CancellationToken ct) =>
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

    internal static void RequireEligible(Step step, string verb)
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

    internal static void RequireOwner(Step step, string verb)
    {
        if (step.Request.RequestedById != step.Grant.UserId && step.Grant.Role < ProjectRole.Admin)
            throw PortalException.Forbidden($"Only the requester or a project admin may {verb} this request.");
    }

    internal static void RequirePending(PromotionRequest request)
    {
        if (!request.IsPending)
        {
            throw PortalException.Conflict(ErrorCodes.PromotionClosed, $"The request is {request.State.ToString().ToLowerInvariant()}; nothing more can be decided on it.",
                new Dictionary<string, object?> { ["state"] = request.State.ToString().ToLowerInvariant() });
        }
    }

    internal static async Task RequireFreshAsync(Step step, CancellationToken ct)
    {
        var current = await CurrentTargetAsync(step.Db, step.Request.ArtifactId, step.Request.AliasName, ct);
        if (current != step.Request.ExpectedFromVersionId)
        {
            throw PortalException.Conflict(ErrorCodes.PromotionStale,
                $"'{step.Artifact}:{step.Request.AliasName}' has moved since this request was made; the requester must re-confirm it against the current version before it can be approved.",
                new Dictionary<string, object?> { ["currentVersionId"] = current });
        }
    }

    internal static void AddComment(PortalDbContext db, PromotionRequest request, string authorId, string kind, string text, DateTimeOffset now) =>
        db.PromotionComments.Add(new PromotionComment { RequestId = request.Id, AuthorId = authorId, Kind = kind, Text = text, At = now });

    internal static string? ValidateComment(string? comment, bool required)
    {
        var text = comment?.Trim() ?? "";
        if (required && text.Length == 0)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, "Give a comment that says why.");
        if (text.Length > MaxCommentLength)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, $"A comment has at most {MaxCommentLength:N0} characters (got {text.Length:N0}).");
        return text.Length == 0 ? null : text;
    }

    internal static string Label(ArtifactVersion version) => ArtifactNames.FormatIndex(version.Index!.Value);
}
