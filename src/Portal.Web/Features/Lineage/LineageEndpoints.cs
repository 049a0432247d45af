using System.Security.Claims;
using Portal.Core.Features.Lineage;

namespace Portal.Web.Features.Lineage;

public static class LineageEndpoints
{
    public static RouteGroupBuilder MapLineageApi(this RouteGroupBuilder api)
    {
        var lineage = api.MapGroup("/projects/{slug}/lineage").WithTags("Lineage");

        lineage.MapGet("/graph", (string slug, ClaimsPrincipal user, LineageGraph useCase, string focus, int? up, int? down, int? cap, CancellationToken ct) =>
                useCase.GraphAsync(user, slug, new LineageGraphQuery(focus, up, down, cap), ct))
            .WithName("GetLineageGraph")
            .WithSummary("The subgraph around ?focus=version:<id> or run:<id>, up and down hops away (default 2, at most 10). Each node shows at most ?cap= new neighbours per hop (default 25, at most 500); the rest become cluster nodes (\"+37 more chunks versions\") to expand.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        lineage.MapGet("/expand", (string slug, ClaimsPrincipal user, LineageGraph useCase, string anchor, string direction, string type, int? limit, CancellationToken ct) =>
                useCase.ExpandAsync(user, slug, anchor, direction, type, limit, ct))
            .WithName("ExpandLineageCluster")
            .WithSummary("What a cluster node stood for: the neighbours of ?anchor= in ?direction= (up or down) of one artifact or job ?type=, newest first, at most ?limit= (default 200, at most 1,000) and a cluster for the rest.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        lineage.MapGet("/provenance", (string slug, ClaimsPrincipal user, LineageGraph useCase, string node, int? limit, CancellationToken ct) =>
                useCase.ProvenanceAsync(user, slug, node, limit, ct))
            .WithName("GetLineageProvenance")
            .WithSummary("Everything upstream of ?node=: the versions and runs it was made from at any distance, counted in full and listed nearest first up to ?limit= (default 500, at most 5,000).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        lineage.MapGet("/impact", (string slug, ClaimsPrincipal user, LineageGraph useCase, string node, int? limit, CancellationToken ct) =>
                useCase.ImpactAsync(user, slug, node, limit, ct))
            .WithName("GetLineageImpact")
            .WithSummary("Everything downstream of ?node=, counted in full with how many reached versions are behind each custom alias (\"3 downstream versions, 1 in production\"), listed nearest first up to ?limit=.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        return api;
    }
}
