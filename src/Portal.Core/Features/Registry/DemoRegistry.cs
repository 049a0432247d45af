using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Promotions;

namespace Portal.Core.Features.Registry;

/// <summary>The demo's registry: a <c>support-retriever</c> collection with the index versions of the demo project linked into it.</summary>
public sealed class DemoRegistry(
    IDbContextFactory<PortalDbContext> dbFactory,
    RegistryCollections collections,
    RegistryLinks links,
    ProjectMembers members,
    PromotionPolicies policies) : IDemoDataContributor
{
    public const string CollectionName = "support-retriever";

    public async Task SeedAsync(ClaimsPrincipal admin, string projectSlug, CancellationToken ct)
    {
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            if (await db.Projects.AnyAsync(p => p.Slug == CollectionName, ct))
                return;
        }
        await collections.CreateAsync(admin, new CreateRegistryCollectionRequest(
            CollectionName,
            "index",
            "Support retriever",
            """
            # Support retriever

            The retrieval index behind the customer-support assistant, as other teams should use it.

            - **Built from**: the support knowledge base, chunked at 512 tokens with 64 overlap.
            - **Embedding model**: `bge-small-en-v1.5`, cosine similarity, HNSW (M=32, ef=200).
            - **Evaluated on**: `support-eval` (recall@5).

            Use `support-retriever:production`; `latest` is the newest link and may not be reviewed yet.
            """,
            ["licence", "intended_use", "owner"],
            new Dictionary<string, string>
            {
                ["licence"] = "Internal use only",
                ["intended_use"] = "Retrieval for the support assistant and its evaluations; not for customer-facing search.",
                ["owner"] = "Support ML team",
            }), ct);
        foreach (var (email, role) in new[] { ("reviewer@portal.local", ProjectRole.Reviewer), ("contributor@portal.local", ProjectRole.Contributor) })
        {
            try
            {
                await members.AddAsync(admin, CollectionName, new AddProjectMemberRequest(email, role.ToString()), ct);
            }
            catch (PortalException)
            {
                // The demo users are made by the demo project's seed; without them the collection keeps its admin only.
            }
        }
        await links.LinkAsync(admin, CollectionName, new LinkRegistryVersionRequest(projectSlug, "support-index", "v0", "First index the support team signed off."), ct);
        await links.LinkAsync(admin, CollectionName, new LinkRegistryVersionRequest(projectSlug, "support-index", "v1", "Rebuilt after the refund-policy rewrite."), ct);
        await policies.SetAsync(admin, CollectionName, "production", new PromotionPolicyRequest(RequiredApprovals: 1, ApproverRole: "Reviewer"), ct);
    }
}
