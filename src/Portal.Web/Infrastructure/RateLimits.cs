using Portal.Core;
using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Portal.Client;
using static Portal.Core.ValidatedOptions;

namespace Portal.Web.Infrastructure;

public sealed class RateLimitOptions : IValidatedOptions
{
    public const string Section = "RateLimits";

    /// <summary>Sign-in attempts (form posts) per client address per minute.</summary>
    public int SignInsPerMinute { get; set; } = 10;

    /// <summary>API tokens created per account per minute.</summary>
    public int TokenCreationsPerMinute { get; set; } = 10;

    public IEnumerable<string> Problems() =>
        AtLeast("RateLimits:SignInsPerMinute", SignInsPerMinute, 1).Concat(AtLeast("RateLimits:TokenCreationsPerMinute", TokenCreationsPerMinute, 1));
}

/// <summary>
/// Slows down password guessing and token farming: sign-in posts are limited per client address, token creation per
/// account. Everything else is unlimited here (a reverse proxy is the place for general flood control).
/// </summary>
public static class RateLimits
{
    public static IServiceCollection AddPortalRateLimits(this IServiceCollection services)
    {
        services.AddValidatedOptions<RateLimitOptions>(RateLimitOptions.Section);
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitOptions>>((o, limits) =>
        {
            var options = limits.Value;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var request = context.Request;
                if (HttpMethods.IsPost(request.Method) && request.Path.Equals("/account/login", StringComparison.OrdinalIgnoreCase))
                    return Window("sign-in:" + context.Connection.RemoteIpAddress, options.SignInsPerMinute);
                if (HttpMethods.IsPost(request.Method) && request.Path.StartsWithSegments("/api/v1/me/tokens"))
                    return Window("tokens:" + (context.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? context.Connection.RemoteIpAddress?.ToString()), options.TokenCreationsPerMinute);
                return RateLimitPartition.GetNoLimiter("unlimited");
            });
            o.OnRejected = async (rejected, ct) =>
            {
                var http = rejected.HttpContext;
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                http.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                var message = $"Too many attempts; try again in {Math.Ceiling(retryAfter.TotalSeconds)} seconds.";
                if (ApiAuthResponses.IsApiRequest(http.Request))
                {
                    await ApiAuthResponses.WriteAsync(http, StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimited, message);
                    return;
                }
                http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                http.Response.ContentType = "text/plain; charset=utf-8";
                await http.Response.WriteAsync(message, ct);
            };
        });
        return services;
    }

    public static IApplicationBuilder UsePortalRateLimits(this IApplicationBuilder app) => app.UseRateLimiter();

    private static RateLimitPartition<string> Window(string key, int permits) =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(1, permits),
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        });
}
