using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.TestCommon;

namespace Portal.Core.Tests.Features.Access;

public abstract class ApiTokensTests(PortalApp app)
{
    [SkippableFact]
    public async Task Only_the_hash_of_a_token_is_stored_and_it_authenticates_its_user()
    {
        app.SkipIfUnavailable();
        var user = await app.Data.CreateUserAsync();
        await app.WithServicesAsync<object?>(async services =>
        {
            var tokens = services.GetRequiredService<ApiTokens>();
            var created = await tokens.CreateAsync(user.Id, new CreateApiTokenRequest("ci"));
            Assert.StartsWith(ApiTokens.TokenPrefix, created.Secret, StringComparison.Ordinal);
            Assert.True(created.Secret.Length >= 40);
            Assert.StartsWith(created.Token.Prefix, created.Secret, StringComparison.Ordinal);

            await using var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            var row = await db.ApiTokens.SingleAsync(t => t.Id == created.Token.Id);
            Assert.NotEqual(created.Secret, row.Hash);
            Assert.DoesNotContain(created.Secret, row.Hash, StringComparison.Ordinal);
            Assert.Equal(ApiTokens.Hash(created.Secret), row.Hash);
            Assert.Matches("^[0-9a-f]{64}$", row.Hash);

            var authenticated = await tokens.AuthenticateAsync(created.Secret);
            Assert.Equal(user.Id, authenticated?.Id);
            Assert.Null(await tokens.AuthenticateAsync(created.Secret + "x"));
            return null;
        });
    }

    [SkippableFact]
    public async Task A_revoked_token_no_longer_authenticates()
    {
        app.SkipIfUnavailable();
        var user = await app.Data.CreateUserAsync();
        await app.WithServicesAsync<object?>(async services =>
        {
            var tokens = services.GetRequiredService<ApiTokens>();
            var created = await tokens.CreateAsync(user.Id, new CreateApiTokenRequest("ci"));
            await tokens.RevokeAsync(user.Id, created.Token.Id);
            Assert.Null(await tokens.AuthenticateAsync(created.Secret));
            var listed = Assert.Single(await tokens.ListAsync(user.Id), t => t.Id == created.Token.Id);
            Assert.NotNull(listed.RevokedAt);
            return null;
        });
    }

    [SkippableFact]
    public async Task A_user_cannot_revoke_someone_elses_token()
    {
        app.SkipIfUnavailable();
        var owner = await app.Data.CreateUserAsync();
        var other = await app.Data.CreateUserAsync();
        await app.WithServicesAsync<object?>(async services =>
        {
            var tokens = services.GetRequiredService<ApiTokens>();
            var created = await tokens.CreateAsync(owner.Id, new CreateApiTokenRequest("ci"));
            var error = await Assert.ThrowsAsync<PortalException>(() => tokens.RevokeAsync(other.Id, created.Token.Id));
            Assert.Equal(404, error.Status);
            Assert.NotNull(await tokens.AuthenticateAsync(created.Secret));
            return null;
        });
    }

    [Theory]
    [InlineData("short")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("changeme-changeme-changeme-changeme")]
    public void Weak_configured_tokens_are_refused(string token)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Bootstrap.ValidateOptions(new BootstrapOptions { AdminApiToken = token }));
        Assert.Contains("AdminApiToken", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_random_configured_token_is_accepted() =>
        Bootstrap.ValidateOptions(new BootstrapOptions { AdminApiToken = ApiTokens.NewSecret() });
}

public sealed class ApiTokensTests_Sqlite(SqliteApp app) : ApiTokensTests(app), IClassFixture<SqliteApp>;

public sealed class ApiTokensTests_Postgres(PostgresApp app) : ApiTokensTests(app), IClassFixture<PostgresApp>;

public sealed class ApiTokensTests_SqlServer(SqlServerApp app) : ApiTokensTests(app), IClassFixture<SqlServerApp>;
