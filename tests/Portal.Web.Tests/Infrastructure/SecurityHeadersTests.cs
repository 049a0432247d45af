using System.Text.RegularExpressions;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>Security headers on pages, API answers and downloads; rate limits on sign-in and token creation.</summary>
public sealed partial class SecurityHeadersTests(SecurityHeadersTests.LimitedApp app) : IClassFixture<SecurityHeadersTests.LimitedApp>
{
    /// <summary>The portal with small limits, so a test can reach them.</summary>
    public sealed class LimitedApp() : PortalApp(Portal.Core.Data.DatabaseProvider.Sqlite)
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["RateLimits:SignInsPerMinute"] = "3",
            ["RateLimits:TokenCreationsPerMinute"] = "2",
        };
    }

    [Fact]
    public async Task Pages_carry_a_policy_without_eval_whose_nonce_is_on_the_only_inline_script()
    {
        var response = await app.AnonymousClient().GetAsync("/account/login");
        response.EnsureSuccessStatusCode();
        var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.DoesNotContain("unsafe-eval", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("object-src 'none'", policy, StringComparison.Ordinal);
        var nonce = NonceInPolicy().Match(policy).Groups[1].Value;
        Assert.NotEmpty(nonce);
        Assert.DoesNotContain("script-src 'self' 'unsafe-inline'", policy, StringComparison.Ordinal);

        var html = await response.Content.ReadAsStringAsync();
        var inlineScripts = InlineScript().Matches(html);
        Assert.NotEmpty(inlineScripts);
        Assert.All(inlineScripts, m => Assert.Contains($"nonce=\"{nonce}\"", m.Value, StringComparison.Ordinal));
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("strict-origin", response.Headers.GetValues("Referrer-Policy").Single(), StringComparison.Ordinal);

        // A fresh nonce on every response.
        var again = string.Join(";", (await app.AnonymousClient().GetAsync("/account/login")).Headers.GetValues("Content-Security-Policy"));
        Assert.NotEqual(nonce, NonceInPolicy().Match(again).Groups[1].Value);
    }

    [Fact]
    public async Task Api_answers_let_nothing_run_and_https_answers_carry_hsts()
    {
        var response = await app.AdminClient().GetAsync("/api/v1/me");
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.StartsWith("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("sandbox", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());

        // Outside Development, HTTPS answers tell the browser to stay on HTTPS (localhost is exempt by design).
        var https = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://portal.tests.local"), AllowAutoRedirect = false });
        var secure = await https.GetAsync("/account/login");
        Assert.Contains("max-age=", secure.Headers.GetValues("Strict-Transport-Security").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sign_in_posts_are_limited_per_address_with_a_retry_after()
    {
        var client = app.AnonymousClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["Input.Email"] = "nobody@tests.local", ["Input.Password"] = "wrong-password-123" });
            var response = await client.PostAsync("/account/login", form);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.True(int.Parse(response.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) > 0);
                Assert.Contains("try again", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
        }
        Assert.DoesNotContain(HttpStatusCode.TooManyRequests, statuses.Take(3));
        Assert.All(statuses.Skip(3), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
        // Reading the page is not limited.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/account/login")).StatusCode);
    }

    [Fact]
    public async Task Token_creation_is_limited_per_account()
    {
        var alice = await app.Data.CreateUserAsync("alice");
        var bob = await app.Data.CreateUserAsync("bob");
        var client = app.ClientWithToken(alice.Token);
        for (var i = 0; i < 2; i++)
            Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync("/api/v1/me/tokens", new CreateApiTokenRequest($"ci-{i}", 30))).StatusCode);
        var refused = await client.PostJsonAsync("/api/v1/me/tokens", new CreateApiTokenRequest("ci-3", 30));
        await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
        Assert.True(refused.Headers.RetryAfter is not null);
        // Another account has its own allowance, and reading tokens is not limited.
        Assert.Equal(HttpStatusCode.Created, (await app.ClientWithToken(bob.Token).PostJsonAsync("/api/v1/me/tokens", new CreateApiTokenRequest("ci", 30))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/me/tokens")).StatusCode);
    }

    [GeneratedRegex("'nonce-([^']+)'")]
    private static partial Regex NonceInPolicy();

    [GeneratedRegex("<script(?![^>]*\\bsrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();
}
