using System.Reflection;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Portal.Web.Tests.Features.Artifacts;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>
/// Walks every endpoint the app maps (from its <see cref="EndpointDataSource"/>) and calls each one as an anonymous
/// caller, as a signed-in outsider whose token belongs to another project, and as a Viewer of the project. Every
/// project endpoint must refuse the first two and refuse writes to the third; every endpoint outside a project must be
/// listed below with what an ordinary user may do there. A new endpoint that forgets its authorisation, or that is
/// not classified, fails this test.
/// </summary>
public abstract class EndpointAuthorizationMatrixTests(PortalApp app)
{
    /// <summary>
    /// API endpoints outside any project, with the status an ordinary signed-in user without rights gets (the user is
    /// a member of one project only). They filter by membership or act on the caller's own account.
    /// </summary>
    private static readonly Dictionary<string, HttpStatusCode[]> GlobalApi = new()
    {
        ["GET /api/v1/me"] = [HttpStatusCode.OK],
        ["GET /api/v1/me/tokens/"] = [HttpStatusCode.OK],
        ["GET /api/v1/me/antiforgery"] = [HttpStatusCode.OK], // a token for the caller's own cookie writes
        ["POST /api/v1/me/tokens/"] = [HttpStatusCode.BadRequest], // empty body: own tokens only, validated
        ["DELETE /api/v1/me/tokens/{id:guid}"] = [HttpStatusCode.NotFound], // another user's token id is not found
        ["GET /api/v1/users/"] = [HttpStatusCode.Forbidden],
        ["POST /api/v1/users/"] = [HttpStatusCode.Forbidden],
        ["GET /api/v1/projects/"] = [HttpStatusCode.OK], // lists the caller's projects only
        ["POST /api/v1/projects/"] = [HttpStatusCode.BadRequest], // anyone may create a project; empty body is invalid
        ["PUT /api/v1/blobs/sha256/{digest}"] = [HttpStatusCode.OK, HttpStatusCode.Created, HttpStatusCode.UnprocessableEntity], // contributors of some project
        ["POST /api/v1/blobs/batch"] = [HttpStatusCode.UnsupportedMediaType],
        ["POST /api/v1/blobs/missing"] = [HttpStatusCode.OK, HttpStatusCode.BadRequest],
        ["POST /api/v1/blobs/uploads/"] = [HttpStatusCode.BadRequest], // contributors of some project; empty body is invalid
        // Another user's upload session is as unknown as one that never existed.
        ["GET /api/v1/blobs/uploads/{id:guid}"] = [HttpStatusCode.NotFound],
        ["PUT /api/v1/blobs/uploads/{id:guid}/parts/{number:int}"] = [HttpStatusCode.NotFound],
        ["POST /api/v1/blobs/uploads/{id:guid}/complete"] = [HttpStatusCode.NotFound],
        ["DELETE /api/v1/blobs/uploads/{id:guid}"] = [HttpStatusCode.NotFound],
        ["GET /api/v1/search"] = [HttpStatusCode.OK], // results filtered by membership
        ["GET /api/v1/blobs/sha256/{digest}/versions"] = [HttpStatusCode.OK], // versions in the caller's projects only
        ["GET /api/v1/promotions/"] = [HttpStatusCode.OK],
        ["GET /api/v1/promotions/count"] = [HttpStatusCode.OK],
        ["GET /api/v1/audit/events"] = [HttpStatusCode.Forbidden], // the whole log is for site admins; project admins name their project
        ["GET /api/v1/audit/events.csv"] = [HttpStatusCode.Forbidden],
        ["POST /api/v1/audit/verify"] = [HttpStatusCode.Forbidden], // site admins
        ["GET /api/v1/admin/maintenance/runs"] = [HttpStatusCode.Forbidden], // site admins
        ["POST /api/v1/admin/maintenance/jobs/{job}/run"] = [HttpStatusCode.Forbidden],
        ["GET /api/v1/admin/evidence-keys"] = [HttpStatusCode.OK], // public keys only, also served anonymously
        ["POST /api/v1/admin/evidence-keys/rotate"] = [HttpStatusCode.Forbidden], // site admins
        // The registry is site-wide: every signed-in user reads collections and may create one; the sample name is an
        // ordinary project's artifact, not a collection, so the collection routes answer 404. The roles inside a
        // collection are checked by RegistryApiTests.
        ["GET /api/v1/registry/collections/"] = [HttpStatusCode.OK],
        ["POST /api/v1/registry/collections/"] = [HttpStatusCode.BadRequest], // anyone may create one; empty body is invalid
        ["GET /api/v1/registry/collections/{name}"] = [HttpStatusCode.NotFound],
        ["PATCH /api/v1/registry/collections/{name}"] = [HttpStatusCode.NotFound],
        ["GET /api/v1/registry/collections/{name}/versions"] = [HttpStatusCode.NotFound],
        ["GET /api/v1/registry/collections/{name}/versions/{version}"] = [HttpStatusCode.NotFound],
        ["GET /api/v1/registry/collections/{name}/versions/{version}/lineage"] = [HttpStatusCode.NotFound],
        ["POST /api/v1/registry/collections/{name}/links"] = [HttpStatusCode.NotFound],
        ["DELETE /api/v1/registry/collections/{name}/links/{version}"] = [HttpStatusCode.NotFound],
        ["POST /api/v1/registry/collections/{name}/promotions"] = [HttpStatusCode.NotFound],
        ["GET /api/v1/registry/collections/{name}/automations/"] = [HttpStatusCode.NotFound],
        ["POST /api/v1/registry/collections/{name}/automations/"] = [HttpStatusCode.NotFound],
        ["PATCH /api/v1/registry/collections/{name}/automations/{id:guid}"] = [HttpStatusCode.NotFound],
        ["DELETE /api/v1/registry/collections/{name}/automations/{id:guid}"] = [HttpStatusCode.NotFound],
        ["GET /api/v1/registry/collections/{name}/automations/{id:guid}/runs"] = [HttpStatusCode.NotFound],
    };

    /// <summary>Project writes a Viewer may make, and why.</summary>
    private static readonly Dictionary<string, string> ViewerWrites = new()
    {
        ["POST /api/v1/projects/{slug}/promotions/{id:guid}/comments"] = "every member may take part in a promotion's discussion",
        ["PUT /api/v1/projects/{slug}/digest-subscription/"] = "every member manages their own e-mail digest",
        ["DELETE /api/v1/projects/{slug}/digest-subscription/"] = "every member manages their own e-mail digest",
        ["POST /api/v1/projects/{slug}/digest-subscription/send"] = "every member may send their own digest now",
        ["POST /api/v1/projects/{slug}/blobs/download"] = "a read: the digest list is too long for a query string",
    };

    /// <summary>Endpoints outside /api/v1 that anyone may call.</summary>
    private static readonly HashSet<string> Anonymous =
    [
        "GET /healthz", "GET /openapi/{documentName}.json",
        "GET /.well-known/portal-evidence-keys.json", // auditors verify packs without an account
    ];

    private sealed record Seed(TestProject Team, TestUser Outsider, Dictionary<string, string> Values);

    [SkippableFact]
    public async Task Every_api_endpoint_refuses_anonymous_callers_outsiders_and_viewer_writes()
    {
        app.SkipIfUnavailable();
        var seed = await SeedAsync();
        var endpoints = ApiEndpoints().ToList();
        Assert.True(endpoints.Count > 60, $"Only {endpoints.Count} API endpoints were found; the enumeration is broken.");

        var anonymous = app.AnonymousClient();
        var outsider = app.ClientWithToken(seed.Outsider.Token);
        var viewer = app.ClientWithToken(seed.Team.Viewer.Token);
        var failures = new List<string>();
        var unclassified = new List<string>();
        foreach (var (key, method, url, body) in endpoints.Select(e => Request(e, seed)))
        {
            var (status, _) = await SendAsync(anonymous, method, url, body);
            if (status != HttpStatusCode.Unauthorized)
                failures.Add($"{key}: anonymous got {(int)status}, expected 401 ({url})");

            var projectScoped = key.Contains("{slug}", StringComparison.Ordinal);
            (status, var text) = await SendAsync(outsider, method, url, body);
            if (projectScoped)
            {
                if (status is not (HttpStatusCode.NotFound or HttpStatusCode.Forbidden))
                    failures.Add($"{key}: a member of another project got {(int)status}, expected 404 or 403 ({url})");
            }
            else if (!GlobalApi.TryGetValue(key, out var allowed))
                unclassified.Add(key);
            else if (!allowed.Contains(status))
                failures.Add($"{key}: an ordinary user got {(int)status}, expected {string.Join(" or ", allowed.Select(s => (int)s))} ({url})");
            else if (text.Contains(seed.Team.Slug, StringComparison.Ordinal) || text.Contains(seed.Values["versionId"], StringComparison.Ordinal))
                failures.Add($"{key}: an ordinary user was shown the other project's data ({url})");

            if (projectScoped && method != HttpMethod.Get && !ViewerWrites.ContainsKey(key))
            {
                (status, _) = await SendAsync(viewer, method, url, body);
                if (status != HttpStatusCode.Forbidden)
                    failures.Add($"{key}: a Viewer got {(int)status}, expected 403 ({url})");
            }
        }

        Assert.True(unclassified.Count == 0, "Endpoints outside a project must be classified in GlobalApi:\n" + string.Join("\n", unclassified));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.All(GlobalApi.Keys.Concat(ViewerWrites.Keys), key => Assert.Contains(endpoints, e => Key(e) == key));
    }

    [SkippableFact]
    public async Task Every_api_write_made_with_the_sign_in_cookie_needs_the_antiforgery_token()
    {
        app.SkipIfUnavailable();
        var seed = await SeedAsync();
        var browser = new CookieSession(app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false }));
        await browser.SignInAsync(seed.Team.Admin.Email, seed.Team.Admin.Password);
        var writes = ApiEndpoints().Where(e => Method(e) != "GET").Select(e => Request(e, seed)).ToList();
        Assert.True(writes.Count > 30, $"Only {writes.Count} API writes were found; the enumeration is broken.");
        var failures = new List<string>();
        foreach (var (key, method, url, body) in writes)
        {
            using var request = new HttpRequestMessage(method, url);
            if (body is not null)
                request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await browser.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.BadRequest || !text.Contains($"\"{ErrorCodes.AntiforgeryFailed}\"", StringComparison.Ordinal))
                failures.Add($"{key}: a cookie call without the antiforgery token got {(int)response.StatusCode}, expected 400 {ErrorCodes.AntiforgeryFailed} ({url})");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [SkippableFact]
    public async Task Every_page_sends_anonymous_visitors_to_sign_in_and_the_jobs_dashboard_is_for_site_admins()
    {
        app.SkipIfUnavailable();
        var seed = await SeedAsync();
        var pages = Endpoints().Where(e => e.Metadata.GetMetadata<ComponentTypeMetadata>() is not null).ToList();
        Assert.True(pages.Count > 15, $"Only {pages.Count} pages were found; the enumeration is broken.");
        var anonymous = app.AnonymousClient();
        var failures = new List<string>();
        foreach (var page in pages)
        {
            var url = Url(page.RoutePattern, seed.Values, page.RoutePattern.RawText!);
            var allowsAnonymous = page.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            var response = await anonymous.GetAsync(url);
            var toSignIn = response.StatusCode == HttpStatusCode.Redirect
                && response.Headers.Location?.OriginalString.Contains("/account/login", StringComparison.Ordinal) == true;
            if (!allowsAnonymous && !toSignIn)
                failures.Add($"{page.RoutePattern.RawText}: anonymous got {(int)response.StatusCode}, expected a redirect to sign in ({url})");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        var jobs = await anonymous.GetAsync("/jobs");
        Assert.True(jobs.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Unauthorized, $"/jobs answered {(int)jobs.StatusCode} to an anonymous visitor");
        Assert.Equal(HttpStatusCode.Forbidden, (await app.ClientWithToken(seed.Team.Admin.Token).GetAsync("/jobs")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.AdminClient().GetAsync("/jobs")).StatusCode);
    }

    [SkippableFact]
    public void Every_endpoint_outside_the_api_is_a_page_an_account_action_or_listed_as_anonymous()
    {
        app.SkipIfUnavailable();
        var others = Endpoints()
            .Where(e => !e.RoutePattern.RawText!.StartsWith("/api/v1", StringComparison.Ordinal))
            .Where(e => e.Metadata.GetMetadata<ComponentTypeMetadata>() is null)
            .Where(e => !IsStaticOrFramework(e))
            .Where(e => !Anonymous.Contains(Key(e)))
            .Where(e => e.Metadata.GetMetadata<IAuthorizeData>() is null && e.Metadata.GetMetadata<IAllowAnonymous>() is null)
            .Select(Key)
            .ToList();
        Assert.True(others.Count == 0, "Endpoints without an authorisation decision:\n" + string.Join("\n", others));
    }

    private static bool IsStaticOrFramework(RouteEndpoint e)
    {
        var raw = e.RoutePattern.RawText ?? "";
        // Static web assets, Blazor's own framework endpoints and the account pages' form posts (which carry [Authorize]
        // or [AllowAnonymous] themselves and are checked by the filter after this one).
        return e.Metadata.Any(m => m.GetType().Name.Contains("StaticAsset", StringComparison.Ordinal))
            || raw.StartsWith("/_framework", StringComparison.Ordinal)
            || raw.StartsWith("/_blazor", StringComparison.Ordinal)
            || raw.StartsWith("/_content", StringComparison.Ordinal)
            || raw.Contains(":file}", StringComparison.Ordinal)
            || raw.Contains("{**path", StringComparison.Ordinal) && raw.StartsWith("/jobs", StringComparison.Ordinal);
    }

    private IEnumerable<RouteEndpoint> Endpoints() =>
        app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>();

    private IEnumerable<RouteEndpoint> ApiEndpoints() =>
        Endpoints().Where(e => e.RoutePattern.RawText!.StartsWith("/api/v1", StringComparison.Ordinal));

    private static string Method(RouteEndpoint e) =>
        e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods is [var first, ..] ? first : "GET";

    private static string Key(RouteEndpoint e) => $"{Method(e)} {e.RoutePattern.RawText}";

    private (string Key, HttpMethod Method, string Url, string? Body) Request(RouteEndpoint endpoint, Seed seed)
    {
        var key = Key(endpoint);
        var url = Url(endpoint.RoutePattern, seed.Values, key);
        var query = new List<string>();
        string? body = null;
        var isService = app.Services.GetRequiredService<IServiceProviderIsService>();
        var routeNames = endpoint.RoutePattern.Parameters.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var parameter in endpoint.Metadata.GetMetadata<MethodInfo>()?.GetParameters() ?? [])
        {
            var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
            if (routeNames.Contains(parameter.Name!) || isService.IsService(parameter.ParameterType)
                || type == typeof(ClaimsPrincipal) || type == typeof(HttpContext) || type == typeof(CancellationToken) || type == typeof(HttpRequest))
                continue;
            if (SimpleValue(parameter.Name!, type, seed.Values) is { } value)
            {
                // Optional query values are left out so the request is the plainest valid one.
                if (Nullable.GetUnderlyingType(parameter.ParameterType) is null && (parameter.ParameterType.IsValueType || !IsNullable(parameter)))
                    query.Add($"{parameter.Name}={Uri.EscapeDataString(value)}");
            }
            else if (type.IsClass || type.IsValueType)
                body = typeof(System.Collections.IEnumerable).IsAssignableFrom(type) ? "[]" : "{}";
        }
        if (query.Count > 0)
            url += "?" + string.Join("&", query);
        return (key, new HttpMethod(Method(endpoint)), url, body);
    }

    private static bool IsNullable(ParameterInfo parameter) =>
        new NullabilityInfoContext().Create(parameter).ReadState == NullabilityState.Nullable;

    private static string? SimpleValue(string name, Type type, Dictionary<string, string> values)
    {
        if (type == typeof(string))
            return values.GetValueOrDefault(name, "x");
        if (type == typeof(Guid))
            return values.GetValueOrDefault(name, values["versionId"]);
        if (type == typeof(int) || type == typeof(long))
            return "10";
        if (type == typeof(bool))
            return "false";
        if (type == typeof(DateTimeOffset) || type == typeof(DateTime))
            return DateTimeOffset.UtcNow.ToString("O");
        return type.IsEnum ? Enum.GetNames(type)[0] : null;
    }

    private static string Url(RoutePattern pattern, Dictionary<string, string> values, string key)
    {
        var url = new StringBuilder();
        string? previous = null;
        foreach (var segment in pattern.PathSegments)
        {
            url.Append('/');
            foreach (var part in segment.Parts)
            {
                switch (part)
                {
                    case RoutePatternLiteralPart literal:
                        url.Append(literal.Content);
                        previous = literal.Content;
                        break;
                    case RoutePatternSeparatorPart separator:
                        url.Append(separator.Content);
                        break;
                    case RoutePatternParameterPart parameter:
                        // "{id}" means a different thing under each collection: name it by the segment before it.
                        var name = parameter.Name.Equals("id", StringComparison.OrdinalIgnoreCase) && previous is not null ? $"{previous}.id" : parameter.Name;
                        if (!values.TryGetValue(name, out var value))
                        {
                            if (parameter.IsOptional || parameter.IsCatchAll)
                                continue;
                            throw new InvalidOperationException($"{key}: give the route value '{name}' a sample in {nameof(SeedAsync)}.");
                        }
                        url.Append(Uri.EscapeDataString(value));
                        break;
                }
            }
        }
        return url.ToString().TrimEnd('/') is { Length: > 0 } u ? u : "/";
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient client, HttpMethod method, string url, string? body)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>A project with one of everything an endpoint can name, and an outsider who belongs to another project.</summary>
    private async Task<Seed> SeedAsync()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        var outsider = await app.Data.CreateUserAsync("outsider");
        await app.Data.CreateProjectAsync(outsider);
        var admin = app.ClientWithToken(team.Admin.Token);
        var contributor = app.ClientWithToken(team.Contributor.Token);
        var uploads = new ArtifactUploads(contributor, team.Slug);
        var file = ArtifactUploads.File("data/train.jsonl", "{\"text\":\"a\"}\n");
        var v1 = (await uploads.PublishAsync("corpus", [file])).Version;
        var v2 = (await uploads.PublishAsync("corpus", [file, ArtifactUploads.File("data/test.jsonl", "{\"text\":\"b\"}\n")])).Version;
        var run = await (await contributor.PostJsonAsync($"/api/v1/projects/{team.Slug}/runs", new CreateRunRequest("train")))
            .ReadOkAsync<RunResponse>(HttpStatusCode.Created);
        (await admin.PutAsJsonAsync($"/api/v1/projects/{team.Slug}/promotion-policies/production", new PromotionPolicyRequest())).EnsureSuccessStatusCode();
        var promotion = await (await contributor.PostJsonAsync($"/api/v1/projects/{team.Slug}/artifacts/corpus/promotions", new CreatePromotionRequest(v2.Version, "production", null)))
            .ReadOkAsync<PromotionResponse>(HttpStatusCode.Created);
        var webhook = await (await admin.PostJsonAsync($"/api/v1/projects/{team.Slug}/webhooks", new CreateWebhookRequest("https://hooks.tests.local/portal")))
            .ReadOkAsync<WebhookResponse>(HttpStatusCode.Created);
        var automation = await (await admin.PostJsonAsync($"/api/v1/projects/{team.Slug}/automations", new CreateAutomationRequest("compare", "version.committed", "compare")))
            .ReadOkAsync<CreatedAutomationResponse>(HttpStatusCode.Created);
        var evaluation = await (await contributor.PostAsync($"/api/v1/projects/{team.Slug}/evaluations", new StringContent(
                "{\"subject\":\"corpus:" + v2.Version + "\",\"evalSet\":\"corpus:" + v1.Version + "\",\"scorers\":[\"acc\"]}\n{\"id\":\"q-1\",\"scores\":{\"acc\":1}}\n",
                Encoding.UTF8, "application/x-ndjson")))
            .ReadOkAsync<EvaluationResponse>(HttpStatusCode.Created);
        var ingestion = await (await contributor.PostJsonAsync($"/api/v1/projects/{team.Slug}/ingestions/uploads", new CreateUploadIngestionRequest(new IngestionTarget("corpus"))))
            .ReadOkAsync<IngestionResponse>(HttpStatusCode.Created);
        var report = await (await contributor.PostJsonAsync($"/api/v1/projects/{team.Slug}/compare-reports", new CompareReportRequest(v1.Id.ToString(), v2.Id.ToString())))
            .ReadOkAsync<CompareReportResponse>(HttpStatusCode.Accepted);
        var large = System.Security.Cryptography.RandomNumberGenerator.GetBytes(1000);
        var upload = await (await contributor.PostJsonAsync("/api/v1/blobs/uploads", new StartUploadSessionRequest(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(large)), large.Length, team.Slug)))
            .ReadOkAsync<UploadSessionResponse>(HttpStatusCode.Created);
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["uploads.id"] = upload.Id!.Value.ToString(),
            ["number"] = "1",
            ["slug"] = team.Slug,
            ["name"] = "corpus",
            ["reference"] = v2.Version,
            ["ref"] = v2.Version,
            ["version"] = v2.Version,
            ["specification"] = $"corpus:{v2.Version}",
            ["versionId"] = v2.Id.ToString(),
            ["versions.id"] = v2.Id.ToString(),
            ["from"] = v1.Id.ToString(),
            ["to"] = v2.Id.ToString(),
            ["a"] = v1.Id.ToString(),
            ["b"] = v2.Id.ToString(),
            ["alias"] = "production",
            ["type"] = "dataset",
            ["runId"] = run.Id.ToString(),
            ["promotions.id"] = promotion.Id.ToString(),
            ["webhooks.id"] = webhook.Id.ToString(),
            ["evaluations.id"] = evaluation.Id.ToString(),
            ["automations.id"] = automation.Rule.Id.ToString(),
            ["tokens.id"] = Guid.NewGuid().ToString(),
            ["reportId"] = report.Report.Id.ToString(),
            ["ingestionId"] = ingestion.Id.ToString(),
            ["job"] = "pending-expiry",
            ["userId"] = team.Contributor.Id,
            ["digest"] = file.Entry.Digest,
            ["path"] = "data/train.jsonl",
            ["q"] = "corpus",
            ["documentName"] = "v1",
        };
        return new Seed(team, outsider, values);
    }
}

public sealed class EndpointAuthorizationMatrixTests_Sqlite(SqliteApp app) : EndpointAuthorizationMatrixTests(app), IClassFixture<SqliteApp>;

public sealed class EndpointAuthorizationMatrixTests_Postgres(PostgresApp app) : EndpointAuthorizationMatrixTests(app), IClassFixture<PostgresApp>;

public sealed class EndpointAuthorizationMatrixTests_SqlServer(SqlServerApp app) : EndpointAuthorizationMatrixTests(app), IClassFixture<SqlServerApp>;
