using Microsoft.AspNetCore.Antiforgery;
using Portal.Client;
using Portal.Client.Models;

namespace Portal.Web.Infrastructure;

/// <summary>
/// Cross-site request forgery protection for the API. A browser sends the sign-in cookie with every request to the
/// portal, including a form post another site makes; so a write authenticated by the cookie must also carry the
/// antiforgery token in the <see cref="HeaderName"/> header, which another site can neither read nor set. Calls with
/// an API token are not exposed (no browser adds an Authorization header by itself) and need none: the CLI, the SDK
/// and scripts keep working unchanged.
/// </summary>
public static class ApiAntiforgery
{
    /// <summary>The header a cookie-authenticated write carries its token in (ASP.NET Core's usual name).</summary>
    public const string HeaderName = "RequestVerificationToken";

    /// <summary>Where a script in a signed-in page gets a token (and the antiforgery cookie it is checked against).</summary>
    public const string TokenPath = "/api/v1/me/antiforgery";

    public const string RefusedMessage =
        $"This call is authenticated by the sign-in cookie, so it must carry an antiforgery token: read one from GET {TokenPath} "
        + $"and send it in the '{HeaderName}' header. Programs should send an API token ('Authorization: Bearer <token>') instead, which needs none.";

    /// <summary>The antiforgery settings: the header name above, and a Secure cookie whenever the request came over HTTPS.</summary>
    public static IServiceCollection AddPortalAntiforgery(this IServiceCollection services) =>
        services.AddAntiforgery(o =>
        {
            o.HeaderName = HeaderName;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });

    /// <summary>Refuses unsafe <c>/api/v1</c> calls authenticated by the cookie that do not carry a valid token (after authentication).</summary>
    public static IApplicationBuilder UsePortalApiAntiforgery(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (NeedsToken(context) && !await HasValidTokenAsync(context))
            {
                await ApiAuthResponses.WriteAsync(context, StatusCodes.Status400BadRequest, ErrorCodes.AntiforgeryFailed, RefusedMessage);
                return;
            }
            await next(context);
        });

    /// <summary><c>GET /api/v1/me/antiforgery</c>: a token for the signed-in caller, and the header to send it in.</summary>
    public static RouteGroupBuilder MapAntiforgeryToken(this RouteGroupBuilder api)
    {
        api.MapGet("/me/antiforgery", (HttpContext context, IAntiforgery antiforgery) =>
            {
                var tokens = antiforgery.GetAndStoreTokens(context);
                context.Response.Headers.CacheControl = "no-store";
                return TypedResults.Ok(new AntiforgeryTokenResponse(HeaderName, tokens.RequestToken!));
            })
            .WithTags("Access").WithName("GetAntiforgeryToken")
            .WithSummary("An antiforgery token for writes made with the sign-in cookie (not needed with an API token)");
        return api;
    }

    private static bool NeedsToken(HttpContext context)
    {
        var request = context.Request;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method))
            return false;
        if (!request.Path.StartsWithSegments("/api/v1"))
            return false;
        // Anything signed in by other means than an API token (the cookie, whichever way it was issued) needs the token.
        var identities = context.User.Identities.Where(i => i.IsAuthenticated).ToList();
        return identities.Count > 0 && identities.All(i => i.AuthenticationType != ApiTokenAuthenticationHandler.SchemeName);
    }

    private static async Task<bool> HasValidTokenAsync(HttpContext context)
    {
        // The header only: a form field would mean reading (and buffering) the body of uploads first.
        if (string.IsNullOrEmpty(context.Request.Headers[HeaderName]))
            return false;
        return await context.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(context);
    }
}
