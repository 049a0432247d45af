using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Portal.Client;
using Portal.Core.Features.Access;

namespace Portal.Web.Infrastructure;

/// <summary>Bearer authentication with personal API tokens (<c>Authorization: Bearer ptl_…</c>).</summary>
public sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiTokens tokens,
    IUserClaimsPrincipalFactory<PortalUser> claimsFactory)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiToken";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.NoResult();
        var secret = header["Bearer ".Length..].Trim();
        var user = await tokens.AuthenticateAsync(secret, Context.RequestAborted);
        if (user is null)
            return AuthenticateResult.Fail("The API token is unknown, revoked or expired.");
        var principal = await claimsFactory.CreateAsync(user);
        var identity = new ClaimsIdentity(principal.Claims, SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        ApiAuthResponses.WriteAsync(Context, 401, ErrorCodes.Unauthorized,
            Request.Headers.Authorization.Count > 0
                ? "The API token is unknown, revoked or expired. Create a new one under Settings → API tokens."
                : "Send an API token as 'Authorization: Bearer <token>', or sign in.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ApiAuthResponses.WriteAsync(Context, 403, ErrorCodes.Forbidden, "You do not have access to this resource.");
}

public static class ApiAuthResponses
{
    public static async Task WriteAsync(HttpContext context, int status, string code, string detail)
    {
        context.Response.StatusCode = status;
        if (status == 401)
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"portal\"";
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = status, Title = Problems.TitleFor(status), Detail = detail };
        problem.Extensions["code"] = code;
        await problems.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
    }

    public static bool IsApiRequest(HttpRequest request) =>
        request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/healthz");
}
