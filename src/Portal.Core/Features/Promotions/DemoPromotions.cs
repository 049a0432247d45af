using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client.Models;
using Portal.Core.Data;

namespace Portal.Core.Features.Promotions;

/// <summary>
/// The demo's governance: <c>production</c> is protected (one reviewer, must come from <c>staging</c>), and the
/// demo contributor has asked to promote the staged retrieval index, so a reviewer has a request to look at.
/// Runs after the artifacts demo, which creates the versions and aliases.
/// </summary>
public sealed class DemoPromotions(IDbContextFactory<PortalDbContext> dbFactory, PromotionPolicies policies, RequestPromotion requests) : IDemoDataContributor
{
    public const string ContributorEmail = "contributor@portal.local";

    public async Task SeedAsync(ClaimsPrincipal admin, string projectSlug, CancellationToken ct)
    {
        await policies.SetAsync(admin, projectSlug, "production",
            new PromotionPolicyRequest(RequiredApprovals: 1, ApproverRole: "Reviewer", RequiredSourceAlias: "staging"), ct);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var contributorId = await db.Users.AsNoTracking().Where(u => u.Email == ContributorEmail).Select(u => u.Id).SingleOrDefaultAsync(ct);
        var requester = contributorId is null ? admin : DemoData.PrincipalFor(contributorId);
        await requests.RequestAsync(requester, projectSlug, "support-index",
            new CreatePromotionRequest("staging", "production", "Index rebuilt from the refund-policy rewrite; recall@5 up from 0.81 to 0.86 on support-eval."), ct);
    }
}
