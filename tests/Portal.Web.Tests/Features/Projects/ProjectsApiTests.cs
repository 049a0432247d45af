using Portal.Core.Features.Access;

namespace Portal.Web.Tests.Features.Projects;

public abstract class ProjectsApiTests(PortalApp app)
{
    [SkippableFact]
    public async Task Without_a_token_the_api_answers_401_problem_details()
    {
        app.SkipIfUnavailable();
        var response = await app.AnonymousClient().GetAsync("/api/v1/projects");
        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task An_unknown_token_gets_401()
    {
        app.SkipIfUnavailable();
        var response = await app.ClientWithToken("ptl_notAToken0000000000000000000000000000").GetAsync("/api/v1/projects");
        var problem = await response.AssertProblemAsync(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
        Assert.Contains("revoked", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_user_creates_a_project_becomes_its_admin_and_sees_it_listed()
    {
        app.SkipIfUnavailable();
        var user = await app.Data.CreateUserAsync();
        var client = app.ClientWithToken(user.Token);
        var slug = TestData.UniqueSlug("rag");
        var created = await (await client.PostJsonAsync("/api/v1/projects", new CreateProjectRequest(slug, "RAG", "docs")))
            .ReadOkAsync<ProjectResponse>(HttpStatusCode.Created);
        Assert.Equal(slug, created.Slug);
        Assert.Equal("Admin", created.Role);

        var listed = await (await client.GetAsync("/api/v1/projects")).ReadOkAsync<List<ProjectResponse>>();
        Assert.Contains(listed, p => p.Slug == slug);
        var fetched = await (await client.GetAsync($"/api/v1/projects/{slug}")).ReadOkAsync<ProjectResponse>();
        Assert.Equal("RAG", fetched.Name);
        Assert.Equal(1, fetched.MemberCount);

        var searched = await (await client.GetAsync($"/api/v1/projects?search={slug[4..]}")).ReadOkAsync<List<ProjectResponse>>();
        Assert.Single(searched);
        var none = await (await client.GetAsync("/api/v1/projects?search=zzzz-nothing-matches")).ReadOkAsync<List<ProjectResponse>>();
        Assert.Empty(none);
    }

    [SkippableTheory]
    [InlineData("")]
    [InlineData("Upper-Case")]
    [InlineData("with space")]
    [InlineData("under_score")]
    [InlineData("dots.are.not.allowed")]
    [InlineData("../etc")]
    [InlineData("ñ")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task Invalid_slugs_are_refused_with_a_code(string slug)
    {
        app.SkipIfUnavailable();
        var response = await app.AdminClient().PostJsonAsync("/api/v1/projects", new CreateProjectRequest(slug, "x"));
        await response.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ProjectSlugInvalid);
    }

    [SkippableFact]
    public async Task A_taken_slug_is_a_conflict()
    {
        app.SkipIfUnavailable();
        var slug = TestData.UniqueSlug();
        var client = app.AdminClient();
        (await client.PostJsonAsync("/api/v1/projects", new CreateProjectRequest(slug, "one"))).EnsureSuccessStatusCode();
        var again = await client.PostJsonAsync("/api/v1/projects", new CreateProjectRequest(slug, "two"));
        await again.AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.ProjectSlugTaken);
    }

    [SkippableFact]
    public async Task An_overlong_name_or_description_is_refused()
    {
        app.SkipIfUnavailable();
        var client = app.AdminClient();
        var name = await client.PostJsonAsync("/api/v1/projects", new CreateProjectRequest(TestData.UniqueSlug(), new string('n', 201)));
        await name.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ProjectNameInvalid);
        var description = await client.PostJsonAsync("/api/v1/projects", new CreateProjectRequest(TestData.UniqueSlug(), "ok", new string('d', 4001)));
        await description.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
    }

    [SkippableFact]
    public async Task Malformed_json_is_a_400_with_a_code()
    {
        app.SkipIfUnavailable();
        using var content = new StringContent("{\"slug\": ", System.Text.Encoding.UTF8, "application/json");
        var response = await app.AdminClient().PostAsync("/api/v1/projects", content);
        await response.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
    }

    [SkippableFact]
    public async Task A_non_member_gets_404_for_a_project_that_exists()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var outsider = await app.Data.CreateUserAsync("outsider");
        var client = app.ClientWithToken(outsider.Token);
        var existing = await client.GetAsync($"/api/v1/projects/{team.Slug}");
        var missing = await client.GetAsync("/api/v1/projects/does-not-exist-at-all");
        var a = await existing.AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ProjectNotFound);
        var b = await missing.AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ProjectNotFound);
        // The same answer either way, so slugs of private projects do not leak.
        Assert.Equal(a.GetProperty("detail").GetString()!.Replace(team.Slug, "X", StringComparison.Ordinal),
            b.GetProperty("detail").GetString()!.Replace("does-not-exist-at-all", "X", StringComparison.Ordinal));
        var list = await (await client.GetAsync("/api/v1/projects")).ReadOkAsync<List<ProjectResponse>>();
        Assert.DoesNotContain(list, p => p.Slug == team.Slug);
    }

    [SkippableFact]
    public async Task A_site_admin_sees_every_project_as_admin()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var project = await (await app.AdminClient().GetAsync($"/api/v1/projects/{team.Slug}")).ReadOkAsync<ProjectResponse>();
        Assert.Equal("Admin", project.Role);
        Assert.Equal(4, project.MemberCount);
    }

    [SkippableFact]
    public async Task Project_admins_add_members_and_change_roles()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var newcomer = await app.Data.CreateUserAsync("newcomer");
        var admin = app.ClientWithToken(team.Admin.Token);

        var added = await (await admin.PostJsonAsync($"/api/v1/projects/{team.Slug}/members", new AddProjectMemberRequest(newcomer.Email, "viewer")))
            .ReadOkAsync<ProjectMemberResponse>(HttpStatusCode.Created);
        Assert.Equal("Viewer", added.Role);
        var project = await (await app.ClientWithToken(newcomer.Token).GetAsync($"/api/v1/projects/{team.Slug}")).ReadOkAsync<ProjectResponse>();
        Assert.Equal("Viewer", project.Role);

        var changed = await (await admin.PutAsJsonAsync($"/api/v1/projects/{team.Slug}/members/{newcomer.Id}", new ChangeProjectMemberRoleRequest("Reviewer")))
            .ReadOkAsync<ProjectMemberResponse>();
        Assert.Equal("Reviewer", changed.Role);

        var members = await (await admin.GetAsync($"/api/v1/projects/{team.Slug}/members")).ReadOkAsync<List<ProjectMemberResponse>>();
        Assert.Equal(5, members.Count);
        Assert.Equal("Reviewer", members.Single(m => m.UserId == newcomer.Id).Role);

        var removed = await admin.DeleteAsync($"/api/v1/projects/{team.Slug}/members/{newcomer.Id}");
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        // Access ends at once: the next request is a stranger's.
        var after = await app.ClientWithToken(newcomer.Token).GetAsync($"/api/v1/projects/{team.Slug}");
        await after.AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ProjectNotFound);
    }

    [SkippableTheory]
    [InlineData(nameof(ProjectRole.Viewer))]
    [InlineData(nameof(ProjectRole.Contributor))]
    [InlineData(nameof(ProjectRole.Reviewer))]
    public async Task Members_below_admin_cannot_manage_members(string role)
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var member = role switch { "Viewer" => team.Viewer, "Contributor" => team.Contributor, _ => team.Reviewer };
        var newcomer = await app.Data.CreateUserAsync();
        var client = app.ClientWithToken(member.Token);

        var add = await client.PostJsonAsync($"/api/v1/projects/{team.Slug}/members", new AddProjectMemberRequest(newcomer.Email, "Admin"));
        var problem = await add.AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        Assert.Contains("Admin role", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var promote = await client.PutAsJsonAsync($"/api/v1/projects/{team.Slug}/members/{member.Id}", new ChangeProjectMemberRoleRequest("Admin"));
        await promote.AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        var remove = await client.DeleteAsync($"/api/v1/projects/{team.Slug}/members/{team.Admin.Id}");
        await remove.AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        // Reading the member list is fine for every member.
        var members = await (await client.GetAsync($"/api/v1/projects/{team.Slug}/members")).ReadOkAsync<List<ProjectMemberResponse>>();
        Assert.Equal(4, members.Count);
    }

    [SkippableFact]
    public async Task Member_management_rejects_bad_input()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var admin = app.ClientWithToken(team.Admin.Token);
        var unknown = await admin.PostJsonAsync($"/api/v1/projects/{team.Slug}/members", new AddProjectMemberRequest("nobody@nowhere.test", "Viewer"));
        await unknown.AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.UserNotFound);
        var newcomer = await app.Data.CreateUserAsync();
        foreach (var role in new[] { "Owner", "", "7", "admin;drop" })
        {
            var badRole = await admin.PostJsonAsync($"/api/v1/projects/{team.Slug}/members", new AddProjectMemberRequest(newcomer.Email, role));
            await badRole.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.RoleInvalid);
        }

        var empty = await admin.PostJsonAsync($"/api/v1/projects/{team.Slug}/members", new AddProjectMemberRequest("", "Viewer"));
        await empty.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        var twice = await admin.PostJsonAsync($"/api/v1/projects/{team.Slug}/members", new AddProjectMemberRequest(team.Viewer.Email, "Viewer"));
        await twice.AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.ValidationFailed);
        var notMember = await admin.DeleteAsync($"/api/v1/projects/{team.Slug}/members/{newcomer.Id}");
        await notMember.AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.MembershipNotFound);
    }

    [SkippableFact]
    public async Task The_last_admin_cannot_leave_or_be_demoted()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var admin = app.ClientWithToken(team.Admin.Token);
        var demote = await admin.PutAsJsonAsync($"/api/v1/projects/{team.Slug}/members/{team.Admin.Id}", new ChangeProjectMemberRoleRequest("Viewer"));
        await demote.AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.LastAdmin);
        var leave = await admin.DeleteAsync($"/api/v1/projects/{team.Slug}/members/{team.Admin.Id}");
        await leave.AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.LastAdmin);
    }
}

public sealed class ProjectsApiTests_Sqlite(SqliteApp app) : ProjectsApiTests(app), IClassFixture<SqliteApp>;

public sealed class ProjectsApiTests_Postgres(PostgresApp app) : ProjectsApiTests(app), IClassFixture<PostgresApp>;

public sealed class ProjectsApiTests_SqlServer(SqlServerApp app) : ProjectsApiTests(app), IClassFixture<SqlServerApp>;
