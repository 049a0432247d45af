using System.Security.Claims;
using Microsoft.Extensions.DependencyInjection;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Projects;

namespace Portal.TestCommon;

public sealed record TestUser(string Id, string Email, string Password, string Token)
{
    public ClaimsPrincipal Principal => DemoData.PrincipalFor(Id);
}

/// <summary>Builds test data through the same use cases the API calls, against the real database.</summary>
public sealed class TestData(IServiceProvider services)
{
    public static string UniqueSlug(string prefix = "p") => $"{prefix}-{Guid.NewGuid().ToString("N")[..10]}";

    public async Task<TestUser> CreateUserAsync(string? name = null, bool siteAdmin = false)
    {
        await using var scope = services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<Users>();
        var tokens = scope.ServiceProvider.GetRequiredService<ApiTokens>();
        var email = $"{name ?? "user"}-{Guid.NewGuid().ToString("N")[..8]}@tests.local";
        const string password = "Test-password-123";
        var (user, _) = await users.CreateUserAsync(email, name ?? "Test user", password, siteAdmin);
        var token = await tokens.CreateAsync(user.Id, new CreateApiTokenRequest("tests"));
        return new TestUser(user.Id, email, password, token.Secret);
    }

    public async Task<ProjectResponse> CreateProjectAsync(TestUser owner, string? slug = null)
    {
        await using var scope = services.CreateAsyncScope();
        var projects = scope.ServiceProvider.GetRequiredService<Projects>();
        slug ??= UniqueSlug();
        return await projects.CreateAsync(owner.Principal, new CreateProjectRequest(slug, "Project " + slug, "made by tests"));
    }

    public async Task AddMemberAsync(TestUser admin, string slug, TestUser member, ProjectRole role)
    {
        await using var scope = services.CreateAsyncScope();
        var members = scope.ServiceProvider.GetRequiredService<ProjectMembers>();
        await members.AddAsync(admin.Principal, slug, new AddProjectMemberRequest(member.Email, role.ToString()));
    }

    /// <summary>A project with an admin owner and one member of each lower role.</summary>
    public async Task<TestProject> CreateProjectWithTeamAsync()
    {
        var admin = await CreateUserAsync("admin");
        var project = await CreateProjectAsync(admin);
        var reviewer = await CreateUserAsync("reviewer");
        var contributor = await CreateUserAsync("contributor");
        var viewer = await CreateUserAsync("viewer");
        await AddMemberAsync(admin, project.Slug, reviewer, ProjectRole.Reviewer);
        await AddMemberAsync(admin, project.Slug, contributor, ProjectRole.Contributor);
        await AddMemberAsync(admin, project.Slug, viewer, ProjectRole.Viewer);
        return new TestProject(project, admin, reviewer, contributor, viewer);
    }
}

public sealed record TestProject(ProjectResponse Project, TestUser Admin, TestUser Reviewer, TestUser Contributor, TestUser Viewer)
{
    public string Slug => Project.Slug;
}
