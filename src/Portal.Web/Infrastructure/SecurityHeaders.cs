using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Portal.Core.Features.Access;

namespace Portal.Web.Infrastructure;

/// <summary>
/// Security headers on every response. Pages get a Content Security Policy without <c>unsafe-eval</c> whose only
/// inline script is the import map, allowed by a per-request nonce; API responses and downloads get a policy that
/// lets nothing run. A header an endpoint set itself (the sandboxed image preview) is left alone.
/// </summary>
public static class SecurityHeaders
{
    private const string NonceKey = "portal.csp-nonce";

    /// <summary>The nonce of this request's page policy (for the import map's inline script).</summary>
    public static string CspNonce(this HttpContext context)
    {
        if (context.Items[NonceKey] is string nonce)
            return nonce;
        // base64url: no '+' or '/' for HTML encoding to rewrite (both forms are valid nonce characters).
        nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');
        context.Items[NonceKey] = nonce;
        return nonce;
    }

    public static IApplicationBuilder UsePortalSecurityHeaders(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
                headers.XFrameOptions = "DENY";
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                if (string.IsNullOrEmpty(headers.ContentSecurityPolicy))
                    headers.ContentSecurityPolicy = PolicyFor(context);
                return Task.CompletedTask;
            });
            return next(context);
        });

    private static string PolicyFor(HttpContext context)
    {
        var path = context.Request.Path;
        // The Hangfire dashboard and the API reference ship inline scripts of their own; they still may not eval.
        if (path.StartsWithSegments("/jobs") || path.StartsWithSegments("/api/docs"))
            return "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";
        if (ApiAuthResponses.IsApiRequest(context.Request))
            return "default-src 'none'; frame-ancestors 'none'; sandbox";
        // MudBlazor positions popovers with inline styles, so styles keep 'unsafe-inline'; scripts do not. Browsers
        // apply form-action to the redirects after a post too, so single sign-on's provider must be named there.
        return $"default-src 'self'; script-src 'self' 'nonce-{context.CspNonce()}'; style-src 'self' 'unsafe-inline'; "
            + "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
            + $"frame-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'{SignInProvider(context)}; object-src 'none'";
    }

    private static string SignInProvider(HttpContext context)
    {
        var authority = context.RequestServices.GetService<IOptions<OidcOptions>>()?.Value.Authority;
        return Uri.TryCreate(authority, UriKind.Absolute, out var uri) ? " " + uri.GetLeftPart(UriPartial.Authority) : "";
    }
}
