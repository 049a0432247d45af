using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Core;
using Portal.Core.Data;
using Portal.Core.Features.Access;

namespace Portal.Web.Tests.Features.Access;

/// <summary>The rules of OpenID Connect sign-in: provisioning, linking, and group → role synchronisation.</summary>
public abstract class ExternalSignInTests(PortalApp app)
{
    private const string Issuer = "https://idp.tests.local/realms/portal";

    [SkippableFact]
    public async Task First_sign_in_provisions_a_linked_account_with_the_mapped_roles()
    {
        app.SkipIfUnavailable();
        var owner = await app.Data.CreateUserAsync("owner");
        var mapped = await app.Data.CreateProjectAsync(owner);
        var options = Mappings(
            new() { Group = "team-a", Project = mapped.Slug, Role = "Contributor" },
            new() { Group = "ml-admins", SiteAdmin = true });
        var identity = Identity("sub-" + Guid.NewGuid().ToString("N"), groups: ["team-a", "unrelated"]);

        var user = await SignInAsync(options, identity);

        Assert.Equal(identity.Email, user.Email);
        Assert.Equal("Olivia Oidc", user.DisplayName);
        Assert.True(user.EmailConfirmed);
        Assert.False(user.IsSiteAdmin);
        Assert.Equal(ProjectRole.Contributor, await RoleAsync(user.Id, mapped.Slug));
        var again = await SignInAsync(options, identity with { Email = "changed-" + identity.Email });
        Assert.Equal(user.Id, again.Id);
        var actions = await AuditActionsAsync(user.Id);
        Assert.Contains("user.provisioned", actions);
        Assert.Single(actions, a => a == "member.added");
        var logins = await app.WithServicesAsync(async sp => await sp.GetRequiredService<UserManager<PortalUser>>().GetLoginsAsync(user));
        var login = Assert.Single(logins);
        Assert.Equal((Issuer, identity.Subject), (login.LoginProvider, login.ProviderKey));
    }

    [SkippableFact]
    public async Task Each_sign_in_adds_changes_and_removes_mapped_memberships_and_keeps_unmapped_ones()
    {
        app.SkipIfUnavailable();
        var owner = await app.Data.CreateUserAsync("owner");
        var first = await app.Data.CreateProjectAsync(owner);
        var second = await app.Data.CreateProjectAsync(owner);
        var unmapped = await app.Data.CreateProjectAsync(owner);
        var options = Mappings(
            new() { Group = "team-a", Project = first.Slug, Role = "Contributor" },
            new() { Group = "team-a-leads", Project = first.Slug, Role = "Admin" },
            new() { Group = "team-b", Project = second.Slug, Role = "Viewer" },
            new() { Group = "ml-admins", SiteAdmin = true });
        var identity = Identity("sub-" + Guid.NewGuid().ToString("N"), groups: ["team-a", "team-a-leads", "team-b", "ml-admins"]);

        var user = await SignInAsync(options, identity);
        Assert.True(user.IsSiteAdmin);
        Assert.Equal(ProjectRole.Admin, await RoleAsync(user.Id, first.Slug)); // the highest mapped role wins
        Assert.Equal(ProjectRole.Viewer, await RoleAsync(user.Id, second.Slug));
        var member = new TestUser(user.Id, user.Email!, "", "");
        await app.Data.AddMemberAsync(owner, unmapped.Slug, member, ProjectRole.Reviewer);
        var stamp = user.SecurityStamp;

        // Left team-a-leads, team-b and ml-admins at the provider.
        user = await SignInAsync(options, identity with { Groups = ["team-a"] });
        Assert.False(user.IsSiteAdmin);
        Assert.NotEqual(stamp, user.SecurityStamp); // other sessions of the former site admin end
        Assert.Equal(ProjectRole.Contributor, await RoleAsync(user.Id, first.Slug));
        Assert.Null(await RoleAsync(user.Id, second.Slug));
        Assert.Equal(ProjectRole.Reviewer, await RoleAsync(user.Id, unmapped.Slug));
        var actions = await AuditActionsAsync(user.Id);
        Assert.Contains("member.role_changed", actions);
        Assert.Contains("member.removed", actions);
        Assert.Equal(2, actions.Count(a => a == "user.site_admin_changed"));

        // No group at all: every mapped membership goes, the manual one stays.
        await SignInAsync(options, identity with { Groups = [] });
        Assert.Null(await RoleAsync(user.Id, first.Slug));
        Assert.Equal(ProjectRole.Reviewer, await RoleAsync(user.Id, unmapped.Slug));
    }

    [SkippableFact]
    public async Task Without_site_admin_mappings_the_flag_is_left_alone()
    {
        app.SkipIfUnavailable();
        var admin = await app.Data.CreateUserAsync("local-admin", siteAdmin: true);
        var options = Mappings(new OidcRoleMapping { Group = "team-a", Project = "no-such-project", Role = "Viewer" });

        var user = await SignInAsync(options, Identity("sub-" + Guid.NewGuid().ToString("N"), email: admin.Email, verified: true));

        Assert.Equal(admin.Id, user.Id);
        Assert.True(user.IsSiteAdmin);
    }

    [SkippableFact]
    public async Task An_existing_account_is_linked_by_e_mail_only_when_the_provider_says_it_is_verified()
    {
        app.SkipIfUnavailable();
        var local = await app.Data.CreateUserAsync("local");
        var options = Mappings();
        var subject = "sub-" + Guid.NewGuid().ToString("N");

        var refused = await Assert.ThrowsAsync<PortalException>(() => SignInAsync(options, Identity(subject, email: local.Email.ToUpperInvariant(), verified: false)));
        Assert.Equal(ErrorCodes.ExternalEmailUnverified, refused.Code);
        Assert.Equal(403, refused.Status);
        Assert.Null(await app.WithServicesAsync(sp => sp.GetRequiredService<UserManager<PortalUser>>().FindByLoginAsync(Issuer, subject)));

        var linked = await SignInAsync(options, Identity(subject, email: local.Email, verified: true));
        Assert.Equal(local.Id, linked.Id);
        Assert.Contains("user.external_login_linked", await AuditActionsAsync(local.Id));
        // Linked by issuer + subject from now on, whatever the e-mail says.
        Assert.Equal(local.Id, (await SignInAsync(options, Identity(subject, email: null))).Id);
    }

    [SkippableFact]
    public async Task A_new_person_without_an_e_mail_address_is_refused()
    {
        app.SkipIfUnavailable();
        var refused = await Assert.ThrowsAsync<PortalException>(() => SignInAsync(Mappings(), Identity("sub-" + Guid.NewGuid().ToString("N"), email: null)));
        Assert.Equal(ErrorCodes.ExternalEmailMissing, refused.Code);
    }

    [SkippableFact]
    public async Task The_only_admin_of_a_project_is_kept_even_when_the_groups_say_otherwise()
    {
        app.SkipIfUnavailable();
        var owner = await app.Data.CreateUserAsync("owner");
        var project = await app.Data.CreateProjectAsync(owner);
        var options = Mappings(new OidcRoleMapping { Group = "leads", Project = project.Slug, Role = "Admin" });
        var identity = Identity("sub-" + Guid.NewGuid().ToString("N"), groups: ["leads"]);
        var user = await SignInAsync(options, identity);
        var member = new TestUser(user.Id, user.Email!, "", "");
        // The owner leaves, so the provisioned user is the last admin.
        await app.WithServicesAsync(async sp =>
        {
            await sp.GetRequiredService<ProjectMembers>().RemoveAsync(member.Principal, project.Slug, owner.Id);
            return 0;
        });

        await SignInAsync(options, identity with { Groups = [] });

        Assert.Equal(ProjectRole.Admin, await RoleAsync(user.Id, project.Slug));
    }

    private static OidcOptions Mappings(params OidcRoleMapping[] mappings) =>
        new() { Authority = Issuer, ClientId = "portal", DisplayName = "Tests IdP", RoleMappings = [.. mappings] };

    private static ExternalIdentity Identity(string subject, string[]? groups = null, string? email = "", bool verified = true) =>
        new(Issuer, subject, email == "" ? $"{subject}@idp.tests.local" : email, verified, "Olivia Oidc", groups ?? [], "Tests IdP");

    private Task<PortalUser> SignInAsync(OidcOptions options, ExternalIdentity identity) =>
        app.WithServicesAsync(sp => ActivatorUtilities.CreateInstance<ExternalSignIn>(sp, Options.Create(options)).SignInAsync(identity));

    /// <summary>The membership itself (a site admin's effective role would be Admin everywhere).</summary>
    private Task<ProjectRole?> RoleAsync(string userId, string slug) =>
        app.WithServicesAsync(async sp =>
        {
            await using var db = await sp.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await db.Memberships.Where(m => m.UserId == userId && m.Project.Slug == slug).Select(m => (ProjectRole?)m.Role).SingleOrDefaultAsync();
        });

    private Task<List<string>> AuditActionsAsync(string userId) =>
        app.WithServicesAsync(async sp =>
        {
            await using var db = await sp.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await db.AuditEvents.Where(e => e.TargetId == userId).OrderBy(e => e.At).Select(e => e.Action).ToListAsync();
        });
}

public sealed class ExternalSignInTests_Sqlite(SqliteApp app) : ExternalSignInTests(app), IClassFixture<SqliteApp>;

public sealed class ExternalSignInTests_Postgres(PostgresApp app) : ExternalSignInTests(app), IClassFixture<PostgresApp>;

public sealed class ExternalSignInTests_SqlServer(SqlServerApp app) : ExternalSignInTests(app), IClassFixture<SqlServerApp>;

/// <summary>The mapping and settings rules alone, without a database.</summary>
public sealed class OidcMappingRulesTests
{
    [Fact]
    public void Mapping_takes_the_highest_role_per_project_and_ignores_unmapped_groups()
    {
        OidcRoleMapping[] mappings =
        [
            new() { Group = "readers", Project = "Demo", Role = "Viewer" },
            new() { Group = "writers", Project = "demo", Role = "contributor" },
            new() { Group = "other", Project = "second", Role = "Admin" },
            new() { Group = "ML-Admins", SiteAdmin = true },
        ];

        var access = MappedAccess.For(mappings, ["writers", "readers", "ml-admins", "nobody"]);

        Assert.True(access.SiteAdmin);
        Assert.Equal(ProjectRole.Contributor, access.Projects["demo"]);
        Assert.True(access.Projects.ContainsKey("second"));
        Assert.Null(access.Projects["second"]);
        Assert.False(MappedAccess.For(mappings, ["readers"]).SiteAdmin);
        Assert.Null(MappedAccess.For(mappings.Take(3), ["readers"]).SiteAdmin);
    }

    [Fact]
    public void Settings_that_would_map_roles_wrongly_are_refused()
    {
        Assert.Empty(new OidcOptions().Problems()); // off
        var options = new OidcOptions
        {
            Authority = "https://idp.example.com",
            RoleMappings =
            [
                new() { Group = "a", Project = "demo", Role = "Owner" },
                new() { Group = "b" },
                new() { Group = "", SiteAdmin = true },
                new() { Group = "c", Role = "Viewer" },
                new() { Group = "d", Project = "demo", Role = "1" },
            ],
        };

        var problems = options.Problems();

        Assert.Contains(problems, p => p.Contains("ClientId", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'Owner'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("maps group 'b' to nothing", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("RoleMappings:2 needs a Group", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("RoleMappings:3 has a Role but no Project", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'1'", StringComparison.Ordinal));
        Assert.Equal(["openid", "profile", "email"], options.EffectiveScopes);
    }
}
