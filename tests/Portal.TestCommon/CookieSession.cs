using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Portal.Client.Models;
using Xunit;

namespace Portal.TestCommon;

/// <summary>
/// A browser without JavaScript over an <see cref="HttpClient"/> that does not handle cookies itself: it keeps them by
/// hand (so a Secure cookie still travels over the test server's http and its attributes can be inspected), signs in
/// through the sign-in form and reads the antiforgery tokens pages and the API hand out.
/// </summary>
public sealed partial class CookieSession(HttpClient client)
{
    private readonly Dictionary<string, string> _cookies = new(StringComparer.Ordinal);

    public HttpClient Client => client;

    /// <summary>The Set-Cookie headers of every response so far, newest last.</summary>
    public List<string> SetCookies { get; } = [];

    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        if (_cookies.Count > 0)
            request.Headers.Add("Cookie", string.Join("; ", _cookies.Select(c => $"{c.Key}={c.Value}")));
        var response = await client.SendAsync(request);
        if (response.Headers.TryGetValues("Set-Cookie", out var values))
        {
            foreach (var header in values)
            {
                SetCookies.Add(header);
                var pair = header.Split(';', 2)[0];
                var at = pair.IndexOf('=', StringComparison.Ordinal);
                var (name, value) = (pair[..at], pair[(at + 1)..]);
                if (value.Length == 0 || header.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase))
                    _cookies.Remove(name);
                else
                    _cookies[name] = value;
            }
        }
        return response;
    }

    public Task<HttpResponseMessage> GetAsync(string url) => SendAsync(new HttpRequestMessage(HttpMethod.Get, url));

    public Task<HttpResponseMessage> PostFormAsync(string url, IEnumerable<KeyValuePair<string, string>> fields) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(fields) });

    public bool HasCookie(string name) => _cookies.ContainsKey(name);

    /// <summary>The antiforgery token of the first form on <paramref name="url"/>.</summary>
    public async Task<string> FormTokenAsync(string url = "/account/login")
    {
        var html = await (await GetAsync(url)).Content.ReadAsStringAsync();
        var match = FormToken().Match(html);
        Assert.True(match.Success, $"{url} has no form with an antiforgery token");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    /// <summary>Signs in through the sign-in form, as a person does; returns the form post's response (a redirect).</summary>
    public async Task<HttpResponseMessage> SignInAsync(string email, string password)
    {
        var token = await FormTokenAsync();
        var response = await PostFormAsync("/account/login",
        [
            new("_handler", "login"),
            new("__RequestVerificationToken", token),
            new("Input.Email", email),
            new("Input.Password", password),
        ]);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect && HasCookie("portal.auth"),
            $"signing in as {email} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return response;
    }

    /// <summary>A token for API writes made with the cookie, from the API.</summary>
    public async Task<AntiforgeryTokenResponse> ApiTokenAsync()
    {
        var response = await GetAsync("/api/v1/me/antiforgery");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<AntiforgeryTokenResponse>(HttpAssertions.Json))!;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex FormToken();
}
