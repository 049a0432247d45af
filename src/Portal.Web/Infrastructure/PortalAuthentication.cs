using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Portal.Client;
using Portal.Core.Data;
using Portal.Core.Features.Access;

namespace Portal.Web.Infrastructure;

public static class PortalAuthentication
{
    /// <summary>Cookie for people, API token for programs; the policy scheme picks by the Authorization header.</summary>
    public const string Scheme = "Portal";

    public static IServiceCollection AddPortalAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication(o =>
            {
                o.DefaultScheme = Scheme;
                o.DefaultChallengeScheme = Scheme;
                o.DefaultSignInScheme = IdentityConstants.ApplicationScheme;
            })
            .AddPolicyScheme(Scheme, "Cookie or API token", o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                    ? ApiTokenAuthenticationHandler.SchemeName
                    : IdentityConstants.ApplicationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null)
            .AddIdentityCookies();
        services.AddPortalOidc();
        services.AddPortalAntiforgery();

        services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/account/login";
            o.LogoutPath = "/account/logout";
            o.AccessDeniedPath = "/account/denied";
            o.Cookie.Name = "portal.auth";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            // Secure whenever the request came over HTTPS, directly or through a trusted proxy (TrustedProxies).
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.SlidingExpiration = true;
            o.ExpireTimeSpan = TimeSpan.FromDays(7);
            // Programs get problem details, not a redirect to the sign-in page.
            o.Events.OnRedirectToLogin = ctx => ApiAuthResponses.IsApiRequest(ctx.Request)
                ? ApiAuthResponses.WriteAsync(ctx.HttpContext, 401, ErrorCodes.Unauthorized, "Send an API token as 'Authorization: Bearer <token>', or sign in.")
                : RedirectAsync(ctx);
            o.Events.OnRedirectToAccessDenied = ctx => ApiAuthResponses.IsApiRequest(ctx.Request)
                ? ApiAuthResponses.WriteAsync(ctx.HttpContext, 403, ErrorCodes.Forbidden, "You do not have access to this resource.")
                : RedirectAsync(ctx);
        });

        services.AddIdentityCore<PortalUser>(o =>
            {
                o.User.RequireUniqueEmail = true;
                o.Password.RequiredLength = 10;
                o.Password.RequireNonAlphanumeric = false;
                o.Lockout.MaxFailedAccessAttempts = 10;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(5);
                o.SignIn.RequireConfirmedAccount = false;
            })
            .AddEntityFrameworkStores<PortalDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders();

        services.AddAuthorization(o =>
        {
            o.AddPolicy(Policies.SiteAdmin, p => p.RequireAuthenticatedUser().RequireClaim(PortalClaims.SiteAdmin, "true"));
        });
        services.AddScoped<IUserClaimsPrincipalFactory<PortalUser>, PortalClaimsPrincipalFactory>();
        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, RevalidatingAuthenticationStateProvider>();
        // Cookies on plain requests re-check the security stamp as often as circuits do (Identity's default is 30 minutes).
        services.AddOptions<SecurityStampValidatorOptions>()
            .Configure<IConfiguration>((o, config) => o.ValidationInterval = RevalidatingAuthenticationStateProvider.Interval(config));
        return services;
    }

    private static Task RedirectAsync(RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> ctx)
    {
        ctx.Response.Redirect(ctx.RedirectUri);
        return Task.CompletedTask;
    }
}

public static class Policies
{
    public const string SiteAdmin = "SiteAdmin";
}

public static class PortalClaims
{
    public const string SiteAdmin = "portal:site_admin";
    public const string DisplayName = "portal:display_name";
}

/// <summary>Adds the portal's own claims (display name, site admin) to the Identity principal.</summary>
public sealed class PortalClaimsPrincipalFactory(UserManager<PortalUser> userManager, Microsoft.Extensions.Options.IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<PortalUser>(userManager, options)
{
    protected override async Task<System.Security.Claims.ClaimsIdentity> GenerateClaimsAsync(PortalUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        identity.AddClaim(new System.Security.Claims.Claim(PortalClaims.DisplayName, user.DisplayName));
        if (user.IsSiteAdmin)
            identity.AddClaim(new System.Security.Claims.Claim(PortalClaims.SiteAdmin, "true"));
        return identity;
    }
}
