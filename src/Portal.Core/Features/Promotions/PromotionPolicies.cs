using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Auditing;

namespace Portal.Core.Features.Promotions;

/// <summary>Promotion policies of a project: read by members, set and removed by project admins.</summary>
public sealed class PromotionPolicies(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access, TimeProvider clock)
{
    public const int MaxRequiredApprovals = 10;

    public async Task<IReadOnlyList<PromotionPolicyResponse>> ListAsync(ClaimsPrincipal user, string slug, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var policies = await db.PromotionPolicies.AsNoTracking()
            .Where(p => p.ProjectId == grant.Project.Id)
            .OrderBy(p => p.AliasName)
            .ToListAsync(ct);
        return policies.Select(ToResponse).ToList();
    }

    public async Task<PromotionPolicyResponse> GetAsync(ClaimsPrincipal user, string slug, string alias, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var policy = await FindAsync(db, grant.Project.Id, alias, ct) ?? throw NotFound(slug, alias);
        return ToResponse(policy);
    }

    /// <summary>Creates or replaces the policy of <paramref name="alias"/>; from then on the alias is protected.</summary>
    public async Task<PromotionPolicyResponse> SetAsync(ClaimsPrincipal user, string slug, string alias, PromotionPolicyRequest request, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Admin, ct);
        ArtifactNames.ValidateCustomAlias(alias);
        if (request.RequiredApprovals is < 1 or > MaxRequiredApprovals)
        {
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed,
                $"requiredApprovals must be between 1 and {MaxRequiredApprovals} (got {request.RequiredApprovals}).");
        }
        var role = ParseApproverRole(request.ApproverRole);
        var source = string.IsNullOrWhiteSpace(request.RequiredSourceAlias) ? null : request.RequiredSourceAlias.Trim();
        if (source is not null)
        {
            ArtifactNames.ValidateCustomAlias(source);
            if (source == alias)
                throw PortalException.BadRequest(ErrorCodes.ValidationFailed, $"An alias cannot be its own source alias; name the alias versions come from, such as staging.");
        }

        var gate = Evaluations.EvaluationGate.Validate(request.Evaluation);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            var now = clock.GetUtcNow();
            var policy = await db.PromotionPolicies.SingleOrDefaultAsync(p => p.ProjectId == grant.Project.Id && p.AliasName == alias, ct);
            var before = policy is null ? null : ToResponse(policy);
            if (policy is null)
            {
                policy = new PromotionPolicy { Id = Guid.NewGuid(), ProjectId = grant.Project.Id, AliasName = alias };
                db.PromotionPolicies.Add(policy);
            }
            policy.RequiredApprovals = request.RequiredApprovals;
            policy.ApproverRole = role;
            policy.RequireValidation = request.RequireValidation;
            policy.RequireCompareReport = request.RequireCompareReport;
            policy.RequiredSourceAlias = source;
            policy.EvaluationSet = gate?.EvalSet;
            policy.EvaluationMetric = gate?.Metric;
            policy.EvaluationThreshold = gate?.Threshold;
            policy.EvaluationMaxDrop = gate?.MaxDrop;
            policy.UpdatedById = grant.UserId;
            policy.UpdatedAt = now;
            var after = ToResponse(policy);
            db.Record(now, grant.UserId, grant.Project.Id, "promotion_policy.set", "promotion_policy", $"{grant.Project.Id}/{alias}", before: before, after: after);
            await db.SaveChangesAsync(ct);
            return after;
        });
    }

    /// <summary>Removes the policy: the alias is no longer protected, and its open requests are cancelled.</summary>
    public async Task DeleteAsync(ClaimsPrincipal user, string slug, string alias, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Admin, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var policy = await db.PromotionPolicies.SingleOrDefaultAsync(p => p.ProjectId == grant.Project.Id && p.AliasName == alias, ct)
                ?? throw NotFound(slug, alias);
            var now = clock.GetUtcNow();
            var open = await db.PromotionRequests
                .Where(r => r.ProjectId == grant.Project.Id && r.AliasName == alias && (r.State == PromotionState.Open || r.State == PromotionState.Approved))
                .ToListAsync(ct);
            foreach (var request in open)
            {
                request.State = PromotionState.Cancelled;
                request.UpdatedAt = now;
                db.PromotionComments.Add(new PromotionComment
                {
                    RequestId = request.Id, AuthorId = grant.UserId, Kind = PromotionCommentKinds.Cancelled,
                    Text = $"The policy of '{alias}' was removed; set the alias directly instead.", At = now,
                });
            }
            db.PromotionPolicies.Remove(policy);
            db.Record(now, grant.UserId, grant.Project.Id, "promotion_policy.removed", "promotion_policy", $"{grant.Project.Id}/{alias}",
                before: ToResponse(policy), after: new { cancelledRequests = open.Select(r => r.Id) });
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        });
    }

    internal static Task<PromotionPolicy?> FindAsync(PortalDbContext db, Guid projectId, string alias, CancellationToken ct) =>
        db.PromotionPolicies.AsNoTracking().SingleOrDefaultAsync(p => p.ProjectId == projectId && p.AliasName == alias, ct);

    internal static ProjectRole ParseApproverRole(string? role)
    {
        if (string.IsNullOrWhiteSpace(role))
            return ProjectRole.Reviewer;
        if (Enum.TryParse<ProjectRole>(role.Trim(), ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && parsed >= ProjectRole.Contributor
            && !int.TryParse(role, out _))
            return parsed;
        throw PortalException.BadRequest(ErrorCodes.RoleInvalid, $"Approver role \"{role}\" is invalid: use Contributor, Reviewer or Admin.");
    }

    internal static PromotionPolicyResponse ToResponse(PromotionPolicy p) =>
        new(p.AliasName, p.RequiredApprovals, p.ApproverRole.ToString(), p.RequireValidation, p.RequireCompareReport, p.RequiredSourceAlias, p.UpdatedAt,
            p.EvaluationSet is { } set && p.EvaluationMetric is { } metric ? new EvaluationGateModel(set, metric, p.EvaluationThreshold, p.EvaluationMaxDrop) : null);

    private static PortalException NotFound(string slug, string alias) =>
        PortalException.NotFound(ErrorCodes.PolicyNotFound, $"Project '{slug}' has no promotion policy for alias '{alias}'.");
}
