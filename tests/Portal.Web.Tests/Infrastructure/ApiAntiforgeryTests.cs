using Microsoft.AspNetCore.Mvc.Testing;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>
/// Another site's form can make a signed-in browser post to the portal with its cookie: API writes authenticated by the
/// cookie, and signing out, need the antiforgery token; API-token calls (CLI, SDK, scripts) need none.
/// </summary>
public sealed class ApiAntiforgeryTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    private CookieSession Browser() =>
        new(app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false }));

    private static HttpRequestMessage Post(string url, string? token = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url);
        if (token is not null)
            request.Headers.Add("RequestVerificationToken", token);
        return request;
    }

    private async Task<(TestProject Team, string SecretUrl)> WebhookAsync()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        var created = await (await app.ClientWithToken(team.Admin.Token).PostJsonAsync($"/api/v1/projects/{team.Slug}/webhooks", new CreateWebhookRequest("https://hooks.tests.local/portal")))
            .ReadOkAsync<CreatedWebhookResponse>(HttpStatusCode.Created);
        return (team, $"/api/v1/projects/{team.Slug}/webhooks/{created.Webhook.Id}/secret");
    }

    [Fact]
    public async Task A_cookie_authenticated_write_without_the_token_is_refused_and_with_it_goes_through()
    {
        var (team, secretUrl) = await WebhookAsync();
        var browser = Browser();
        await browser.SignInAsync(team.Admin.Email, team.Admin.Password);

        // What a same-site form post does: the cookie travels, no header does (a form field does not count either).
        var refused = await browser.SendAsync(Post(secretUrl));
        var problem = await refused.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.AntiforgeryFailed);
        Assert.Contains("RequestVerificationToken", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var formPost = await browser.SendAsync(new HttpRequestMessage(HttpMethod.Post, secretUrl)
        {
            Content = new FormUrlEncodedContent([new("__RequestVerificationToken", await browser.FormTokenAsync())]),
        });
        await formPost.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.AntiforgeryFailed);
        await (await browser.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/me/tokens/{Guid.NewGuid()}")))
            .AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.AntiforgeryFailed);
        await (await browser.SendAsync(Post(secretUrl, "not-a-token"))).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.AntiforgeryFailed);

        // Reading needs no token; a page script gets one from the API and sends it in the header.
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/v1/me")).StatusCode);
        var token = await browser.ApiTokenAsync();
        Assert.Equal("RequestVerificationToken", token.HeaderName);
        var rotated = await (await browser.SendAsync(Post(secretUrl, token.Token))).ReadOkAsync<CreatedWebhookResponse>();
        Assert.False(string.IsNullOrEmpty(rotated.Secret));
    }

    [Fact]
    public async Task A_token_is_bound_to_the_person_it_was_given_to()
    {
        var (team, secretUrl) = await WebhookAsync();
        var viewer = Browser();
        await viewer.SignInAsync(team.Viewer.Email, team.Viewer.Password);
        var viewersToken = (await viewer.ApiTokenAsync()).Token;

        var admin = Browser();
        await admin.SignInAsync(team.Admin.Email, team.Admin.Password);
        await (await admin.SendAsync(Post(secretUrl, viewersToken))).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.AntiforgeryFailed);
    }

    [Fact]
    public async Task Api_token_calls_need_no_antiforgery_token()
    {
        var (team, secretUrl) = await WebhookAsync();
        var rotated = await (await app.ClientWithToken(team.Admin.Token).PostAsync(secretUrl, null)).ReadOkAsync<CreatedWebhookResponse>();
        Assert.False(string.IsNullOrEmpty(rotated.Secret));

        // Even with a (stale) sign-in cookie beside it: the token decides who calls.
        var browser = Browser();
        await browser.SignInAsync(team.Admin.Email, team.Admin.Password);
        var request = Post(secretUrl);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", team.Admin.Token);
        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Signing_out_needs_the_forms_token()
    {
        var user = await app.Data.CreateUserAsync("leaving");
        var browser = Browser();
        await browser.SignInAsync(user.Email, user.Password);

        await (await browser.PostFormAsync("/account/logout", [])).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.AntiforgeryFailed);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/v1/me")).StatusCode);

        var signedOut = await browser.PostFormAsync("/account/logout", [new("__RequestVerificationToken", await browser.FormTokenAsync())]);
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.Equal("/account/login", signedOut.Headers.Location?.OriginalString);
        Assert.False(browser.HasCookie("portal.auth"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/v1/me")).StatusCode);
    }
}
