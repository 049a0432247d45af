namespace Portal.Web.Infrastructure;

public static class ApiV1
{
    /// <summary>The <c>/api/v1</c> group: authenticated by cookie or API token; features map their endpoints onto it.</summary>
    public static RouteGroupBuilder MapApiV1(this IEndpointRouteBuilder app) =>
        app.MapGroup("/api/v1")
            .RequireAuthorization(p => p.AddAuthenticationSchemes(PortalAuthentication.Scheme).RequireAuthenticatedUser())
            .DisableAntiforgery()
            .ProducesProblem(StatusCodes.Status401Unauthorized);
}
