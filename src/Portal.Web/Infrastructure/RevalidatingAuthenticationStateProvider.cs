using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Portal.Core.Features.Access;

namespace Portal.Web.Infrastructure;

/// <summary>
/// Re-checks a Blazor circuit's user against the database every minute (<c>Authentication:RevalidationInterval</c>):
/// a deleted account or a changed security stamp (password change, forced sign-out) ends access without waiting for
/// the cookie to expire.
/// </summary>
public sealed class RevalidatingAuthenticationStateProvider(
    ILoggerFactory loggerFactory,
    IServiceScopeFactory scopeFactory,
    IOptions<IdentityOptions> options,
    IConfiguration configuration)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    public const string IntervalSetting = "Authentication:RevalidationInterval";

    /// <summary>How often circuits (and cookies) re-check the user; tests shorten it to seconds.</summary>
    public static TimeSpan Interval(IConfiguration configuration) =>
        configuration.GetValue<TimeSpan?>(IntervalSetting) is { } interval && interval > TimeSpan.Zero ? interval : TimeSpan.FromMinutes(1);

    protected override TimeSpan RevalidationInterval => Interval(configuration);

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var userManager = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var user = await userManager.GetUserAsync(authenticationState.User);
        if (user is null)
            return false;
        if (!userManager.SupportsUserSecurityStamp)
            return true;
        var principalStamp = authenticationState.User.FindFirstValue(options.Value.ClaimsIdentity.SecurityStampClaimType);
        var userStamp = await userManager.GetSecurityStampAsync(user);
        return principalStamp == userStamp;
    }
}
