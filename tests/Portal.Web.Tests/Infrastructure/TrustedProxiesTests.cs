using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Web.Infrastructure;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>
/// X-Forwarded-For and X-Forwarded-Proto count only from a configured proxy: from anyone else they change neither the
/// address the sign-in limit counts against nor the scheme (so neither Secure cookies nor HSTS).
/// </summary>
public sealed class TrustedProxiesTests(TrustedProxiesTests.ProxiedApp app) : IClassFixture<TrustedProxiesTests.ProxiedApp>
{
    private const string Proxy = "10.20.0.5";

    /// <summary>The portal behind one known proxy, with a small sign-in limit.</summary>
    public sealed class ProxiedApp() : PortalApp(Portal.Core.Data.DatabaseProvider.Sqlite)
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["RateLimits:SignInsPerMinute"] = "3",
            ["ForwardedHeaders:KnownProxies:0"] = Proxy,
            ["ForwardedHeaders:KnownNetworks:0"] = "10.30.0.0/16",
        };
    }

    /// <summary>A client whose TCP peer address is <paramref name="peer"/>; requests go to a non-loopback host name (HSTS skips localhost).</summary>
    private HttpClient From(string peer) =>
        new(app.Server.CreateHandler(context => context.Connection.RemoteIpAddress = IPAddress.Parse(peer)))
        {
            BaseAddress = new Uri("http://portal.tests.local"),
        };

    private static async Task<HttpStatusCode> FailedSignInAsync(HttpClient client, string? forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/account/login")
        {
            Content = new FormUrlEncodedContent([new("Input.Email", "nobody@tests.local"), new("Input.Password", "wrong-password-123")]),
        };
        if (forwardedFor is not null)
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        return (await client.SendAsync(request)).StatusCode;
    }

    [Fact]
    public async Task An_untrusted_peer_cannot_choose_the_address_its_sign_ins_count_against()
    {
        var client = From("198.51.100.20");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
            statuses.Add(await FailedSignInAsync(client, $"203.0.113.{i + 1}"));
        Assert.DoesNotContain(HttpStatusCode.TooManyRequests, statuses.Take(3));
        Assert.All(statuses.Skip(3), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
    }

    [Theory]
    [InlineData(Proxy)]
    [InlineData("10.30.4.4")]
    public async Task A_configured_proxy_tells_who_the_client_is(string proxy)
    {
        var client = From(proxy);
        var prefix = proxy == Proxy ? "198.18.1" : "198.18.2";
        // Five clients behind the proxy: each has an allowance of its own.
        for (var i = 0; i < 5; i++)
            Assert.NotEqual(HttpStatusCode.TooManyRequests, await FailedSignInAsync(client, $"{prefix}.{i + 1}"));
        // One client behind it reaches its limit; only the last hop counts, not what the client wrote before it.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
            statuses.Add(await FailedSignInAsync(client, $"192.0.2.{i + 1}, {prefix}.100"));
        Assert.DoesNotContain(HttpStatusCode.TooManyRequests, statuses.Take(3));
        Assert.All(statuses.Skip(3), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
    }

    [Theory]
    [InlineData(Proxy, true)]
    [InlineData("10.30.9.9", true)]
    [InlineData("198.51.100.30", false)]
    public async Task Https_reported_by_a_trusted_proxy_gives_secure_cookies_and_hsts(string peer, bool trusted)
    {
        var user = await app.Data.CreateUserAsync("proxied");
        var client = From(peer);
        client.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
        var browser = new CookieSession(client);

        var login = await browser.GetAsync("/account/login");
        Assert.Equal(trusted, login.Headers.Contains("Strict-Transport-Security"));
        await browser.SignInAsync(user.Email, user.Password);
        var cookie = browser.SetCookies.Last(c => c.StartsWith("portal.auth=", StringComparison.Ordinal));
        Assert.Equal(trusted, cookie.Split(';').Any(a => a.Trim().Equals("secure", StringComparison.OrdinalIgnoreCase)));
        var antiforgery = browser.SetCookies.First(c => c.StartsWith(".AspNetCore.Antiforgery.", StringComparison.Ordinal));
        Assert.Equal(trusted, antiforgery.Split(';').Any(a => a.Trim().Equals("secure", StringComparison.OrdinalIgnoreCase)));
    }

    [Fact]
    public void Only_loopback_is_trusted_by_default_and_forwarded_headers_can_be_switched_off()
    {
        var defaults = Options(new Dictionary<string, string?>());
        Assert.Equal(ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto, defaults.ForwardedHeaders);
        Assert.Equal([IPAddress.IPv6Loopback], defaults.KnownProxies);
        Assert.Equal([System.Net.IPNetwork.Parse("127.0.0.0/8")], defaults.KnownIPNetworks);
        Assert.Equal(1, defaults.ForwardLimit);

        var configured = Options(new Dictionary<string, string?>
        {
            ["ForwardedHeaders:KnownProxies:0"] = "10.0.0.5",
            ["ForwardedHeaders:KnownNetworks:0"] = "10.244.0.0/16",
            ["ForwardedHeaders:KnownNetworks:1"] = "fd00:10::/64",
        });
        Assert.Contains(IPAddress.Parse("10.0.0.5"), configured.KnownProxies);
        Assert.Contains(System.Net.IPNetwork.Parse("10.244.0.0/16"), configured.KnownIPNetworks);
        Assert.Contains(System.Net.IPNetwork.Parse("fd00:10::/64"), configured.KnownIPNetworks);

        Assert.Equal(ForwardedHeaders.None, Options(new Dictionary<string, string?> { ["ForwardedHeaders:Enabled"] = "false" }).ForwardedHeaders);

        var wrong = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => Options(new Dictionary<string, string?> { ["ForwardedHeaders:KnownNetworks:0"] = "10.0.0.0/33" }));
        Assert.Contains("ForwardedHeaders:KnownNetworks lists '10.0.0.0/33'", wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_trust_everyone_switch_of_aspnetcore_does_not_widen_the_list()
    {
        // ASPNETCORE_FORWARDEDHEADERS_ENABLED=true clears the known proxies and networks; the portal's list still applies.
        var options = Options(new Dictionary<string, string?>(), services => services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
        }));
        Assert.Equal([IPAddress.IPv6Loopback], options.KnownProxies);
        Assert.Equal([System.Net.IPNetwork.Parse("127.0.0.0/8")], options.KnownIPNetworks);
    }

    private static ForwardedHeadersOptions Options(Dictionary<string, string?> settings, Action<IServiceCollection>? before = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        before?.Invoke(services);
        services.AddPortalTrustedProxies();
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<ForwardedHeadersOptions>>().Value;
    }
}

/// <summary>
/// The switch the Kubernetes manifest used to set (ASPNETCORE_FORWARDEDHEADERS_ENABLED) trusts every peer's forwarded
/// headers; with the portal's list in force it no longer lets a client pick its sign-in partition.
/// </summary>
public sealed class TrustEveryoneSwitchTests(TrustEveryoneSwitchTests.SwitchedApp app) : IClassFixture<TrustEveryoneSwitchTests.SwitchedApp>
{
    public sealed class SwitchedApp() : PortalApp(Portal.Core.Data.DatabaseProvider.Sqlite)
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["RateLimits:SignInsPerMinute"] = "3",
            ["ForwardedHeaders_Enabled"] = "true",
        };
    }

    [Fact]
    public async Task Forwarded_for_from_an_unknown_peer_is_still_ignored()
    {
        var client = new HttpClient(app.Server.CreateHandler(context => context.Connection.RemoteIpAddress = IPAddress.Parse("198.51.100.40")))
        {
            BaseAddress = new Uri("http://portal.tests.local"),
        };
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/account/login")
            {
                Content = new FormUrlEncodedContent([new("Input.Email", "nobody@tests.local"), new("Input.Password", "wrong-password-123")]),
            };
            request.Headers.Add("X-Forwarded-For", $"203.0.113.{i + 1}");
            statuses.Add((await client.SendAsync(request)).StatusCode);
        }
        Assert.All(statuses.Skip(3), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
    }
}
