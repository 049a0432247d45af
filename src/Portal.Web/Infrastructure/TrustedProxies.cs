using Portal.Core;
using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using IPNetwork = System.Net.IPNetwork;
using static Portal.Core.ValidatedOptions;

namespace Portal.Web.Infrastructure;

/// <summary>
/// Settings <c>ForwardedHeaders:*</c>: which peers may tell the portal, in <c>X-Forwarded-For</c> and
/// <c>X-Forwarded-Proto</c>, who the client is and whether it came over HTTPS. Only loopback is trusted unless more is
/// configured; anyone else's forwarded headers are ignored, so a client cannot pick the address the sign-in rate limit
/// counts against, nor claim HTTPS.
/// </summary>
public sealed class TrustedProxyOptions : IValidatedOptions
{
    public const string Section = "ForwardedHeaders";

    /// <summary>False: forwarded headers are ignored even from loopback (the portal faces clients directly).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Addresses of the reverse proxies in front of the portal, e.g. <c>10.0.0.5</c>.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Address ranges the reverse proxies connect from, e.g. the ingress controller's pod network <c>10.244.0.0/16</c>.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    public IEnumerable<string> Problems() =>
        IpAddresses("ForwardedHeaders:KnownProxies", KnownProxies).Concat(Networks("ForwardedHeaders:KnownNetworks", KnownNetworks));
}

public static class TrustedProxies
{
    public static IServiceCollection AddPortalTrustedProxies(this IServiceCollection services)
    {
        services.AddValidatedOptions<TrustedProxyOptions>(TrustedProxyOptions.Section);
        // PostConfigure: these lists win over anything set earlier, including the "trust everyone" that the
        // ASPNETCORE_FORWARDEDHEADERS_ENABLED variable would configure.
        services.AddOptions<ForwardedHeadersOptions>().PostConfigure<Microsoft.Extensions.Options.IOptions<TrustedProxyOptions>>((o, trusted) =>
        {
            var settings = trusted.Value;
            o.ForwardedHeaders = settings.Enabled ? ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto : ForwardedHeaders.None;
            // One hop: the address the trusted proxy itself saw, never what the client wrote before it.
            o.ForwardLimit = 1;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            o.KnownProxies.Add(IPAddress.IPv6Loopback);
            o.KnownIPNetworks.Add(IPNetwork.Parse("127.0.0.0/8"));
            foreach (var (text, i) in settings.KnownProxies.Select((t, i) => (t.Trim(), i)).Where(p => p.Item1.Length > 0))
            {
                o.KnownProxies.Add(IPAddress.TryParse(text, out var address)
                    ? address
                    : throw new InvalidOperationException($"{TrustedProxyOptions.Section}:KnownProxies:{i} '{text}' is not an IP address; give the proxy's address, such as 10.0.0.5."));
            }
            foreach (var (text, i) in settings.KnownNetworks.Select((t, i) => (t.Trim(), i)).Where(p => p.Item1.Length > 0))
            {
                o.KnownIPNetworks.Add(IPNetwork.TryParse(text, out var network)
                    ? network
                    : throw new InvalidOperationException($"{TrustedProxyOptions.Section}:KnownNetworks:{i} '{text}' is not an address range; give one in CIDR form, such as 10.244.0.0/16."));
            }
        });
        return services;
    }

    /// <summary>First in the pipeline: everything after it (rate limits, HSTS, Secure cookies) sees the client as the trusted proxy reported it.</summary>
    public static IApplicationBuilder UsePortalForwardedHeaders(this IApplicationBuilder app) => app.UseForwardedHeaders();
}
