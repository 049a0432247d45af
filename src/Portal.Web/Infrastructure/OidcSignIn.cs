using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Portal.Client;
using Portal.Core;
using Portal.Core.Features.Access;
using Portal.Web.Components.Account;

namespace Portal.Web.Infrastructure;

/// <summary>
/// Optional sign-in through an OpenID Connect provider (<see cref="OidcOptions"/>): authorization code flow with
/// PKCE into Identity's external cookie, then <c>/account/oidc/complete</c> provisions or finds the account,
/// synchronises its mapped roles (<see cref="ExternalSignIn"/>) and signs in with the portal's own cookie.
/// </summary>
public static class OidcSignIn
{
    public const string Scheme = "oidc";
    public const string CallbackPath = "/signin-oidc";
    public const string ChallengePath = "/account/oidc/challenge";
    public const string CompletePath = "/account/oidc/complete";

    /// <summary>Why a sign-in through the provider failed, as the <c>external</c> query value of the sign-in page.</summary>
    public const string FailedCode = "failed";

    /// <summary>
    /// Registers the <see cref="Scheme"/> scheme when <c>Authentication:Oidc:Authority</c> is set. The decision is
    /// taken when the options are first built, not at registration, so settings from every configuration source
    /// (including those a test host adds late) count; wrong settings stop the portal at start-up.
    /// </summary>
    public static IServiceCollection AddPortalOidc(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<OidcOptions>, OidcOptionsValidation>();
        services.AddOptions<OidcOptions>().ValidateOnStart();
        services.AddOptions<AuthenticationOptions>().Configure<IOptions<OidcOptions>>((auth, oidc) =>
        {
            if (oidc.Value.Enabled)
                auth.AddScheme<OpenIdConnectHandler>(Scheme, oidc.Value.DisplayName);
        });
        services.AddOptions<OpenIdConnectOptions>(Scheme).Configure<IOptions<OidcOptions>>((o, oidc) => Configure(o, oidc.Value));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<OpenIdConnectOptions>, OpenIdConnectPostConfigureOptions>());
        services.TryAddTransient<OpenIdConnectHandler>();
        return services;
    }

    private static void Configure(OpenIdConnectOptions o, OidcOptions settings)
    {
        if (!settings.Enabled)
            return;
        o.SignInScheme = IdentityConstants.ExternalScheme;
        o.Authority = settings.Authority;
        o.ClientId = settings.ClientId;
        o.ClientSecret = settings.ClientSecret;
        o.RequireHttpsMetadata = settings.RequireHttpsMetadata;
        o.CallbackPath = CallbackPath;
        o.ResponseType = OpenIdConnectResponseType.Code;
        o.UsePkce = true;
        // The code comes back on a top-level GET, so the correlation and nonce cookies can stay SameSite=Lax
        // (form_post would need SameSite=None, which browsers drop without https).
        o.ResponseMode = OpenIdConnectResponseMode.Query;
        o.CorrelationCookie.SameSite = SameSiteMode.Lax;
        o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        o.NonceCookie.SameSite = SameSiteMode.Lax;
        o.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        o.Scope.Clear();
        foreach (var scope in settings.EffectiveScopes)
            o.Scope.Add(scope);
        o.SaveTokens = false;
        o.MapInboundClaims = false;
        o.GetClaimsFromUserInfoEndpoint = settings.GetClaimsFromUserInfoEndpoint;
        o.ClaimActions.MapUniqueJsonKey("email_verified", "email_verified");
        o.ClaimActions.MapJsonKey(settings.GroupsClaim, settings.GroupsClaim);
        o.TokenValidationParameters.NameClaimType = "name";
        o.Events.OnRemoteFailure = context =>
        {
            context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OidcSignIn))
                .LogWarning(context.Failure, "Sign-in through {Provider} failed", settings.DisplayName);
            context.Response.Redirect(LoginWithError(FailedCode));
            context.HandleResponse();
            return Task.CompletedTask;
        };
    }

    public static IEndpointRouteBuilder MapOidcSignIn(this IEndpointRouteBuilder app)
    {
        // A form post with an antiforgery token, like sign-out: a third-party page cannot start a sign-in.
        app.MapPost(ChallengePath, ([FromForm] string? returnUrl) =>
        {
            var complete = CompletePath + "?returnUrl=" + Uri.EscapeDataString(Login.SafeReturnUrl(returnUrl));
            return TypedResults.Challenge(new AuthenticationProperties { RedirectUri = complete }, [Scheme]);
        }).AllowAnonymous().ExcludeFromDescription();

        app.MapGet(CompletePath, async (HttpContext http, string? returnUrl, ExternalSignIn externalSignIn, SignInManager<PortalUser> signInManager,
            IOptions<OidcOptions> options, CancellationToken ct) =>
        {
            var external = await http.AuthenticateAsync(IdentityConstants.ExternalScheme);
            await http.SignOutAsync(IdentityConstants.ExternalScheme);
            if (!external.Succeeded || ToExternalIdentity(external.Principal, options.Value) is not { } identity)
                return Results.LocalRedirect(LoginWithError(FailedCode));
            PortalUser user;
            try
            {
                user = await externalSignIn.SignInAsync(identity, ct);
            }
            catch (PortalException ex)
            {
                return Results.LocalRedirect(LoginWithError(ex.Code));
            }

            await signInManager.SignInAsync(user, isPersistent: false, authenticationMethod: Scheme);
            return Results.LocalRedirect(Login.SafeReturnUrl(returnUrl));
        }).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    /// <summary>The provider's word on who signed in; the issuer is the one the ID token was validated against.</summary>
    public static ExternalIdentity? ToExternalIdentity(ClaimsPrincipal principal, OidcOptions options)
    {
        var subject = principal.FindFirst("sub");
        if (subject is null || string.IsNullOrEmpty(subject.Value))
            return null;
        var groups = principal.FindAll(options.GroupsClaim).Select(c => c.Value).Where(v => v.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        return new ExternalIdentity(
            Issuer: subject.Issuer,
            Subject: subject.Value,
            Email: principal.FindFirstValue("email"),
            EmailVerified: bool.TryParse(principal.FindFirstValue("email_verified"), out var verified) && verified,
            Name: principal.FindFirstValue("name"),
            Groups: groups,
            ProviderDisplayName: options.DisplayName);
    }

    private static string LoginWithError(string code) => "/account/login?external=" + Uri.EscapeDataString(code);
}

/// <summary>Refuses to start with OIDC settings that would sign people in wrongly (<see cref="OidcOptions.Problems"/>).</summary>
public sealed class OidcOptionsValidation : IValidateOptions<OidcOptions>
{
    public ValidateOptionsResult Validate(string? name, OidcOptions options) =>
        options.Problems() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}
