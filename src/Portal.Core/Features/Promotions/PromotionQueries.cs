using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;

namespace Portal.Core.Features.Promotions;

/// <summary>Which requests the approval queue shows.</summary>
public enum PromotionQueueScope
{
    /// <summary>Requests the user may approve now, and emergency changes they may review.</summary>
    Awaiting = 0,

    /// <summary>The user's own requests.</summary>
    Mine = 1,
}

/// <summary>The read side of promotions: one request with its checks, diff and discussion; a project's requests; the approval queue.</summary>
public sealed class PromotionQueries(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access, PromotionChecks checks)
{
    public const int MaxListed = 500;

    public async Task<PromotionDetailResponse> GetAsync(ClaimsPrincipal user, string slug, Guid id, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var request = await db.PromotionRequests.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id && r.ProjectId == grant.Project.Id, ct)
            ?? throw NotFound(slug, id);
        var response = (await ToResponsesAsync(db, [request], grant.UserId, new Dictionary<Guid, ProjectRole> { [grant.Project.Id] = grant.Role }, ct))[0];

        var policy = await PromotionPolicies.FindAsync(db, grant.Project.Id, request.AliasName, ct);
        var results = new List<PromotionCheckResponse>
        {
            new("approvals", response.Approvals.Count >= response.RequiredApprovals ? PromotionCheckStates.Passed : PromotionCheckStates.Pending,
                $"{response.Approvals.Count} of {response.RequiredApprovals} approval{(response.RequiredApprovals == 1 ? "" : "s")} from a {response.ApproverRole} or above (not the requester)."),
        };
        if (request.IsPending)
        {
            results.Add(response.Stale
                ? new PromotionCheckResponse("alias_unchanged", PromotionCheckStates.Failed,
                    $"'{request.AliasName}' moved from {response.FromVersion ?? "nothing"} to {response.CurrentVersion ?? "nothing"} since this request was made; re-confirm it against the current version.")
                : new PromotionCheckResponse("alias_unchanged", PromotionCheckStates.Passed, $"'{request.AliasName}' still points at {response.FromVersion ?? "nothing"}, as when the request was made."));
            if (policy is not null)
                results.AddRange(await checks.EvaluateAsync(db, policy, request, response.CurrentVersionId, ct));
        }

        // The change a reviewer approves: from what the alias serves now (or served before, once applied) to the version.
        var baseline = request.IsPending ? response.CurrentVersionId : request.ExpectedFromVersionId;
        VersionDiffSummary? diff = null;
        if (baseline is { } from && from != request.VersionId)
            diff = (await VersionDiff.ComputeAsync(db, from, request.VersionId, ct)).Summary;

        var discussion = await (
                from c in db.PromotionComments.AsNoTracking()
                where c.RequestId == id
                orderby c.Id
                join u in db.Users on c.AuthorId equals u.Id into authors
                from u in authors.DefaultIfEmpty()
                select new PromotionCommentResponse(c.Id, c.Kind, c.AuthorId, u == null ? "Someone" : u.DisplayName, c.Text, c.At))
            .ToListAsync(ct);
        return new PromotionDetailResponse(response, results, diff, discussion);
    }

    /// <summary>A project's requests, newest first; <paramref name="state"/> is a state name or <c>pending</c> (open or approved).</summary>
    public async Task<IReadOnlyList<PromotionResponse>> ListAsync(ClaimsPrincipal user, string slug, string? state = null, string? alias = null, string? artifact = null, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = Filter(db.PromotionRequests.AsNoTracking().Where(r => r.ProjectId == grant.Project.Id), state, alias);
        if (!string.IsNullOrWhiteSpace(artifact))
            query = query.Where(r => db.Artifacts.Any(a => a.Id == r.ArtifactId && a.Name == artifact));
        var requests = await query.OrderByDescending(r => r.CreatedAt).Take(MaxListed).ToListAsync(ct);
        return await ToResponsesAsync(db, requests, grant.UserId, new Dictionary<Guid, ProjectRole> { [grant.Project.Id] = grant.Role }, ct);
    }

    /// <summary>
    /// The approval queue across the user's projects: what waits for them (requests they may approve, emergency
    /// changes they may review), or their own requests.
    /// </summary>
    public async Task<IReadOnlyList<PromotionResponse>> QueueAsync(
        ClaimsPrincipal user, PromotionQueueScope scope, string? project = null, string? state = null, string? alias = null, CancellationToken ct = default)
    {
        var userId = ProjectAccess.UserId(user) ?? throw PortalException.Unauthenticated();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var roles = await db.Memberships.AsNoTracking().Where(m => m.UserId == userId).ToDictionaryAsync(m => m.ProjectId, m => m.Role, ct);
        IQueryable<PromotionRequest> query;
        if (scope == PromotionQueueScope.Mine)
        {
            query = Filter(db.PromotionRequests.AsNoTracking().Where(r => r.RequestedById == userId), state, alias);
        }
        else
        {
            query = Waiting(db, userId);
            if (!string.IsNullOrWhiteSpace(alias))
                query = query.Where(r => r.AliasName == alias.Trim());
        }
        if (!string.IsNullOrWhiteSpace(project))
            query = query.Where(r => db.Projects.Any(p => p.Id == r.ProjectId && p.Slug == project.Trim()));
        var requests = await query.OrderByDescending(r => r.CreatedAt).Take(MaxListed).ToListAsync(ct);
        if (scope == PromotionQueueScope.Mine)
        {
            // Own requests may be in projects the user has since left; show them, with no actions there.
            return await ToResponsesAsync(db, requests, userId, roles, ct);
        }
        var responses = await ToResponsesAsync(db, requests, userId, roles, ct);
        return responses.Where(r => r.Actions.Approve || r.Actions.Review).ToList();
    }

    /// <summary>The navigation badge: how many requests wait for the user.</summary>
    public async Task<int> AwaitingCountAsync(ClaimsPrincipal user, CancellationToken ct = default)
    {
        if (ProjectAccess.UserId(user) is null)
            return 0;
        return (await QueueAsync(user, PromotionQueueScope.Awaiting, ct: ct)).Count;
    }

    /// <summary>
    /// The project's requests that wait for a reviewer, whoever it is: the approval queue's rule (<see cref="Waiting"/>)
    /// without the per-person conditions, so the project's overview counts what its reviewers' badges count.
    /// </summary>
    public static IQueryable<PromotionRequest> AwaitingReviewers(PortalDbContext db, Guid projectId) =>
        from r in db.PromotionRequests.AsNoTracking()
        where r.ProjectId == projectId
            && (r.State == PromotionState.Open || r.State == PromotionState.Approved || r.Emergency && r.ReviewedAt == null)
            && db.PromotionPolicies.Any(p => p.ProjectId == r.ProjectId && p.AliasName == r.AliasName)
        select r;

    /// <summary>
    /// Requests the user might act on as a reviewer: pending ones by someone else that they have not approved, and
    /// emergency changes not yet reviewed, in projects where their role reaches the policy's approver role.
    /// Staleness is decided afterwards (a stale request waits for its requester, not for reviewers).
    /// </summary>
    private static IQueryable<PromotionRequest> Waiting(PortalDbContext db, string userId) =>
        from r in db.PromotionRequests.AsNoTracking()
        where r.RequestedById != userId
            && ((r.State == PromotionState.Open || r.State == PromotionState.Approved)
                && !db.PromotionApprovals.Any(a => a.RequestId == r.Id && a.UserId == userId)
                || r.Emergency && r.ReviewedAt == null)
        join m in db.Memberships on r.ProjectId equals m.ProjectId
        where m.UserId == userId
        join p in db.PromotionPolicies on new { r.ProjectId, r.AliasName } equals new { p.ProjectId, p.AliasName }
        select r;

    private static IQueryable<PromotionRequest> Filter(IQueryable<PromotionRequest> query, string? state, string? alias)
    {
        if (!string.IsNullOrWhiteSpace(alias))
            query = query.Where(r => r.AliasName == alias.Trim());
        switch (state?.Trim().ToLowerInvariant())
        {
            case null or "" or "all":
                break;
            case "pending":
                query = query.Where(r => r.State == PromotionState.Open || r.State == PromotionState.Approved);
                break;
            case "review":
                query = query.Where(r => r.Emergency && r.ReviewedAt == null);
                break;
            case var name when Enum.TryParse<PromotionState>(name, ignoreCase: true, out var parsed) && !int.TryParse(name, out _):
                query = query.Where(r => r.State == parsed);
                break;
            default:
                throw PortalException.BadRequest(ErrorCodes.ValidationFailed,
                    $"'{state}' is not a request state; use pending, open, approved, applied, rejected, cancelled, review or all.");
        }
        return query;
    }

    /// <summary>API shapes for requests, with names, versions, approvals and what <paramref name="userId"/> may do (a few queries for the whole list).</summary>
    internal static async Task<List<PromotionResponse>> ToResponsesAsync(
        PortalDbContext db, IReadOnlyList<PromotionRequest> requests, string userId, IReadOnlyDictionary<Guid, ProjectRole> roles, CancellationToken ct)
    {
        if (requests.Count == 0)
            return [];
        var ids = requests.Select(r => r.Id).ToList();
        var projectIds = requests.Select(r => r.ProjectId).Distinct().ToList();
        var artifactIds = requests.Select(r => r.ArtifactId).Distinct().ToList();
        var aliasNames = requests.Select(r => r.AliasName).Distinct().ToList();

        var projects = await db.Projects.AsNoTracking().Where(p => projectIds.Contains(p.Id)).ToDictionaryAsync(p => p.Id, p => p.Slug, ct);
        var artifacts = await db.Artifacts.AsNoTracking().Where(a => artifactIds.Contains(a.Id)).ToDictionaryAsync(a => a.Id, a => a.Name, ct);
        var current = (await db.Aliases.AsNoTracking()
                .Where(a => artifactIds.Contains(a.ArtifactId) && aliasNames.Contains(a.Name))
                .Select(a => new { a.ArtifactId, a.Name, a.VersionId })
                .ToListAsync(ct))
            .ToDictionary(a => (a.ArtifactId, a.Name), a => a.VersionId);
        var policies = (await db.PromotionPolicies.AsNoTracking().Where(p => projectIds.Contains(p.ProjectId) && aliasNames.Contains(p.AliasName)).ToListAsync(ct))
            .ToDictionary(p => (p.ProjectId, p.AliasName));
        var approvals = (await (
                    from a in db.PromotionApprovals.AsNoTracking()
                    where ids.Contains(a.RequestId)
                    join u in db.Users on a.UserId equals u.Id into approvers
                    from u in approvers.DefaultIfEmpty()
                    orderby a.At
                    select new { a.RequestId, Approval = new PromotionApprovalResponse(a.UserId, u == null ? "Someone" : u.DisplayName, a.Comment, a.At) })
                .ToListAsync(ct))
            .ToLookup(a => a.RequestId, a => a.Approval);
        var userIds = requests.Select(r => r.RequestedById).Concat(requests.Select(r => r.ReviewedById).OfType<string>()).Distinct().ToList();
        var names = await db.Users.AsNoTracking().Where(u => userIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
        var versionIds = requests.SelectMany(r => new[] { r.VersionId, r.ExpectedFromVersionId }).OfType<Guid>().Concat(current.Values).Distinct().ToList();
        var indexes = await db.ArtifactVersions.AsNoTracking()
            .Where(v => versionIds.Contains(v.Id) && v.Index != null)
            .ToDictionaryAsync(v => v.Id, v => v.Index!.Value, ct);
        string? Label(Guid? id) => id is { } v && indexes.TryGetValue(v, out var index) ? ArtifactNames.FormatIndex(index) : null;

        return requests.Select(r =>
        {
            var now = current.TryGetValue((r.ArtifactId, r.AliasName), out var c) ? c : (Guid?)null;
            var policy = policies.GetValueOrDefault((r.ProjectId, r.AliasName));
            var given = approvals[r.Id].ToList();
            var role = roles.TryGetValue(r.ProjectId, out var found) ? found : (ProjectRole?)null;
            var stale = r.IsPending && now != r.ExpectedFromVersionId;
            var actions = Actions(r, policy, role, userId, stale, given.Any(a => a.UserId == userId));
            return new PromotionResponse(
                r.Id,
                projects.GetValueOrDefault(r.ProjectId) ?? "",
                artifacts.GetValueOrDefault(r.ArtifactId) ?? "",
                r.AliasName,
                r.VersionId,
                Label(r.VersionId) ?? "",
                r.ExpectedFromVersionId,
                Label(r.ExpectedFromVersionId),
                now,
                Label(now),
                r.Kind.ToString().ToLowerInvariant(),
                r.State.ToString().ToLowerInvariant(),
                stale,
                r.Emergency,
                r.Emergency && r.ReviewedAt is null,
                r.RequestedById,
                names.GetValueOrDefault(r.RequestedById) ?? "Someone",
                r.Comment,
                policy?.RequiredApprovals ?? 1,
                (policy?.ApproverRole ?? ProjectRole.Reviewer).ToString(),
                given,
                r.CreatedAt,
                r.UpdatedAt,
                r.AppliedAt,
                r.ReviewedById is { } reviewer ? names.GetValueOrDefault(reviewer) ?? "Someone" : null,
                actions);
        }).ToList();
    }

    /// <summary>What a user with <paramref name="role"/> in the project may do with the request (the server enforces the same rules).</summary>
    internal static PromotionActions Actions(PromotionRequest r, PromotionPolicy? policy, ProjectRole? role, string userId, bool stale, bool approved)
    {
        var eligible = policy is not null && role is { } value && value >= policy.ApproverRole;
        var self = r.RequestedById == userId;
        var owner = self || role == ProjectRole.Admin;
        return new PromotionActions(
            Approve: r.IsPending && !stale && eligible && !self && !approved,
            Reject: r.IsPending && eligible && !self,
            Cancel: r.IsPending && owner && role is not null,
            Reconfirm: r.IsPending && stale && owner && role is not null,
            Apply: r.State == PromotionState.Approved && !stale && (eligible || (self && role is not null)),
            Review: r.Emergency && r.ReviewedAt is null && eligible && !self);
    }

    internal static PortalException NotFound(string slug, Guid id) =>
        PortalException.NotFound(ErrorCodes.PromotionNotFound, $"Project '{slug}' has no promotion request {id}.");
}
