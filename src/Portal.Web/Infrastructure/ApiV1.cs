namespace Portal.Web.Infrastructure;

public static class ApiV1
{
    /// <summary>
    /// The <c>/api/v1</c> group: authenticated by cookie or API token; features map their endpoints onto it. The
    /// framework's form-field antiforgery check is off here: <see cref="ApiAntiforgery"/> asks cookie-authenticated
    /// writes for a token in a header instead, and API-token calls for none.
    /// </summary>
    public static RouteGroupBuilder MapApiV1(this IEndpointRouteBuilder app) =>
        app.MapGroup("/api/v1")
            .RequireAuthorization(p => p.AddAuthenticationSchemes(PortalAuthentication.Scheme).RequireAuthenticatedUser())
            .DisableAntiforgery()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .MapAntiforgeryToken();
}
