using Microsoft.AspNetCore.Identity;
using Portal.Core.Features.Access;
using Portal.Web.Infrastructure;

namespace Portal.Web.Components;

public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        // A form post with an antiforgery token: a link or image cannot sign someone out.
        app.MapPost("/account/logout", async (SignInManager<PortalUser> signInManager) =>
        {
            await signInManager.SignOutAsync();
            return TypedResults.LocalRedirect("/account/login");
        }).RequireAuthorization().ExcludeFromDescription();
        app.MapOidcSignIn();
        return app;
    }
}
