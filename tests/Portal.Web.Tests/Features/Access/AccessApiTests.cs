namespace Portal.Web.Tests.Features.Access;

public abstract class AccessApiTests(PortalApp app)
{
    [SkippableFact]
    public async Task Me_names_the_tokens_owner()
    {
        app.SkipIfUnavailable();
        var user = await app.Data.CreateUserAsync("meg");
        var me = await (await app.ClientWithToken(user.Token).GetAsync("/api/v1/me")).ReadOkAsync<MeResponse>();
        Assert.Equal(user.Email, me.Email);
        Assert.False(me.IsSiteAdmin);
        var admin = await (await app.AdminClient().GetAsync("/api/v1/me")).ReadOkAsync<MeResponse>();
        Assert.True(admin.IsSiteAdmin);
    }

    [SkippableFact]
    public async Task Tokens_are_created_once_listed_without_secret_and_revoked()
    {
        app.SkipIfUnavailable();
        var user = await app.Data.CreateUserAsync();
        var client = app.ClientWithToken(user.Token);
        var created = await (await client.PostJsonAsync("/api/v1/me/tokens", new CreateApiTokenRequest("nightly", 30)))
            .ReadOkAsync<CreateApiTokenResponse>(HttpStatusCode.Created);
        Assert.NotNull(created.Token.ExpiresAt);

        var listText = await (await client.GetAsync("/api/v1/me/tokens")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(created.Secret, listText, StringComparison.Ordinal);
        Assert.Contains(created.Token.Prefix, listText, StringComparison.Ordinal);

        var fresh = app.ClientWithToken(created.Secret);
        Assert.Equal(HttpStatusCode.OK, (await fresh.GetAsync("/api/v1/me")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/v1/me/tokens/{created.Token.Id}")).StatusCode);
        await (await fresh.GetAsync("/api/v1/me")).AssertProblemAsync(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
        // The token used to revoke still works.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/me")).StatusCode);
    }

    [SkippableTheory]
    [InlineData("", null)]
    [InlineData("   ", null)]
    [InlineData("ok", 0)]
    [InlineData("ok", 5000)]
    public async Task Bad_token_requests_are_refused(string name, int? days)
    {
        app.SkipIfUnavailable();
        var response = await app.AdminClient().PostJsonAsync("/api/v1/me/tokens", new CreateApiTokenRequest(name, days));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await response.AssertProblemAsync(HttpStatusCode.BadRequest, string.IsNullOrWhiteSpace(name) ? ErrorCodes.TokenNameInvalid : ErrorCodes.ValidationFailed);
    }

    [SkippableFact]
    public async Task Revoking_an_unknown_token_is_404()
    {
        app.SkipIfUnavailable();
        var response = await app.AdminClient().DeleteAsync($"/api/v1/me/tokens/{Guid.NewGuid()}");
        await response.AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.TokenNotFound);
    }

    [SkippableFact]
    public async Task Only_site_admins_manage_accounts()
    {
        app.SkipIfUnavailable();
        var user = await app.Data.CreateUserAsync();
        var client = app.ClientWithToken(user.Token);
        await (await client.GetAsync("/api/v1/users")).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        await (await client.PostJsonAsync("/api/v1/users", new CreateUserRequest("x@tests.local", "X"))).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);

        var email = $"new-{Guid.NewGuid():N}@tests.local";
        var created = await (await app.AdminClient().PostJsonAsync("/api/v1/users", new CreateUserRequest(email, "New person")))
            .ReadOkAsync<CreateUserResponse>(HttpStatusCode.Created);
        Assert.False(string.IsNullOrEmpty(created.GeneratedPassword));
        var users = await (await app.AdminClient().GetAsync("/api/v1/users")).ReadOkAsync<List<UserResponse>>();
        Assert.Contains(users, u => u.Email == email);
        var again = await app.AdminClient().PostJsonAsync("/api/v1/users", new CreateUserRequest(email, "Again"));
        await again.AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.ValidationFailed);
        var invalid = await app.AdminClient().PostJsonAsync("/api/v1/users", new CreateUserRequest("not-an-email", "x"));
        await invalid.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
    }
}

public sealed class AccessApiTests_Sqlite(SqliteApp app) : AccessApiTests(app), IClassFixture<SqliteApp>;

public sealed class AccessApiTests_Postgres(PostgresApp app) : AccessApiTests(app), IClassFixture<PostgresApp>;

public sealed class AccessApiTests_SqlServer(SqlServerApp app) : AccessApiTests(app), IClassFixture<SqlServerApp>;
