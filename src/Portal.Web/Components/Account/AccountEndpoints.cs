using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Identity;
using Portal.Client;
using Portal.Core;
using Portal.Core.Features.Access;
using Portal.Web.Infrastructure;

namespace Portal.Web.Components;

public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        // A form post with an antiforgery token: a link, an image or another site's form cannot sign someone out. The
        // handler binds no form, so the framework would not check the token by itself.
        app.MapPost("/account/logout", async (HttpContext context, IAntiforgery antiforgery, SignInManager<PortalUser> signInManager) =>
        {
            if (!await antiforgery.IsRequestValidAsync(context))
            {
                throw PortalException.BadRequest(ErrorCodes.AntiforgeryFailed,
                    "The sign-out form was not sent by this portal's page or has expired; reload the page and sign out again.");
            }
            await signInManager.SignOutAsync();
            return TypedResults.LocalRedirect("/account/login");
        }).RequireAuthorization().ExcludeFromDescription();
        app.MapOidcSignIn();
        return app;
    }
}
