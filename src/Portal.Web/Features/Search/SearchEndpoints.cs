using System.Security.Claims;
using Portal.Core.Features.Search;

namespace Portal.Web.Features.Search;

public static class SearchEndpoints
{
    public static RouteGroupBuilder MapSearchApi(this RouteGroupBuilder api)
    {
        api.MapGet("/search", (string? q, int? limit, ClaimsPrincipal user, PortalSearch useCase, CancellationToken ct) =>
                useCase.SearchAsync(user, q, limit, ct))
            .WithTags("Search").WithName("Search")
            .WithSummary("Artifacts and runs by name, versions by alias, name:reference (corpus:production, corpus:v3) or manifest-digest prefix (at least 6 hex characters), in the projects you can read; at most `limit` (default 8, at most 50) of each kind.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return api;
    }
}
