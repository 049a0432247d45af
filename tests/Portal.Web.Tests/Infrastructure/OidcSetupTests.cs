using Portal.Core.Data;
using Portal.Web.Components.Shared;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>A portal configured for an OpenID Connect provider that is never contacted: only the set-up is checked.</summary>
public sealed class OidcConfiguredApp() : PortalApp(DatabaseProvider.Sqlite)
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Authentication:Oidc:Authority"] = "https://idp.invalid/realms/portal",
        ["Authentication:Oidc:ClientId"] = "portal",
        ["Authentication:Oidc:DisplayName"] = "Corp SSO",
        ["Authentication:Oidc:RoleMappings:0:Group"] = "team-a",
        ["Authentication:Oidc:RoleMappings:0:Project"] = "demo",
        ["Authentication:Oidc:RoleMappings:0:Role"] = "Contributor",
    };
}

/// <summary>Role mappings that cannot be right: the portal must refuse to start.</summary>
public sealed class OidcMisconfiguredApp() : PortalApp(DatabaseProvider.Sqlite)
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Authentication:Oidc:Authority"] = "https://idp.invalid/realms/portal",
        ["Authentication:Oidc:ClientId"] = "portal",
        ["Authentication:Oidc:RoleMappings:0:Group"] = "team-a",
        ["Authentication:Oidc:RoleMappings:0:Project"] = "demo",
        ["Authentication:Oidc:RoleMappings:0:Role"] = "Owner",
    };
}

public sealed class OidcSetupTests(SqliteApp plain, OidcConfiguredApp configured) : IClassFixture<SqliteApp>, IClassFixture<OidcConfiguredApp>
{
    [Fact]
    public async Task The_sign_in_page_offers_the_provider_only_when_one_is_configured()
    {
        var without = await (await plain.AnonymousClient().GetAsync("/account/login")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("oidc-sign-in", without, StringComparison.Ordinal);

        var with = await (await configured.AnonymousClient().GetAsync("/account/login?returnUrl=%2Fprojects%2Fdemo")).Content.ReadAsStringAsync();
        Assert.Contains("Sign in with Corp SSO", with, StringComparison.Ordinal);
        Assert.Contains("action=\"/account/oidc/challenge\"", with, StringComparison.Ordinal);
        Assert.Contains("value=\"/projects/demo\"", with, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_sign_in_page_explains_a_refused_external_sign_in_by_code_and_never_echoes_text()
    {
        var refused = await (await configured.AnonymousClient().GetAsync($"/account/login?external={ErrorCodes.ExternalEmailUnverified}")).Content.ReadAsStringAsync();
        Assert.Contains("does not confirm that the address is yours", refused, StringComparison.Ordinal);
        var spoofed = await (await configured.AnonymousClient().GetAsync("/account/login?external=Call%20555-0100%20now")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("Call 555-0100", spoofed, StringComparison.Ordinal);
        Assert.Contains("Signing in with Corp SSO did not work", spoofed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Starting_a_sign_in_needs_the_forms_antiforgery_token()
    {
        var response = await configured.AnonymousClient().PostAsync("/account/oidc/challenge", new FormUrlEncodedContent([new("returnUrl", "/projects")]));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Wrong_role_mappings_stop_the_portal_at_start_up()
    {
        var app = new OidcMisconfiguredApp();
        try
        {
            var failure = await Assert.ThrowsAnyAsync<Exception>(() => ((IAsyncLifetime)app).InitializeAsync());
            Assert.Contains("'Owner'", failure.Message, StringComparison.Ordinal);
        }
        finally
        {
            await ((IAsyncLifetime)app).DisposeAsync();
        }
    }

    [Theory]
    [InlineData("projects/demo", "demo")]
    [InlineData("projects/demo/runs/42?tab=metrics", "demo")]
    [InlineData("projects/my%20team/webhooks", "my team")]
    [InlineData("projects", null)]
    [InlineData("projects?search=x", null)]
    [InlineData("approvals", null)]
    [InlineData("", null)]
    public void The_access_guard_watches_the_project_in_the_address(string relative, string? slug) =>
        Assert.Equal(slug, ProjectAccessGuard.SlugOf(relative));
}
