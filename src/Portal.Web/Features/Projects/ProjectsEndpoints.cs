using System.Security.Claims;
using Portal.Client.Models;
using Portal.Core.Features.Access;
using Portal.Core.Features.Projects;

namespace Portal.Web.Features.Projects;

public static class ProjectsEndpoints
{
    public static RouteGroupBuilder MapProjectsApi(this RouteGroupBuilder api)
    {
        var projects = api.MapGroup("/projects").WithTags("Projects");

        projects.MapGet("/", (ClaimsPrincipal user, Core.Features.Projects.Projects useCase, string? search, CancellationToken ct) =>
                useCase.ListAsync(user, search, ct))
            .WithName("ListProjects").WithSummary("Projects you are a member of (all projects for site admins).");

        projects.MapPost("/", async (ClaimsPrincipal user, Core.Features.Projects.Projects useCase, CreateProjectRequest request, CancellationToken ct) =>
            {
                var created = await useCase.CreateAsync(user, request, ct);
                return TypedResults.Created($"/api/v1/projects/{created.Slug}", created);
            })
            .WithName("CreateProject").WithSummary("Creates a project; you become its admin.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);

        projects.MapGet("/{slug}", (string slug, ClaimsPrincipal user, Core.Features.Projects.Projects useCase, CancellationToken ct) =>
                useCase.GetAsync(user, slug, ct))
            .WithName("GetProject").WithSummary("One project, with your role in it.").ProducesProblem(StatusCodes.Status404NotFound);

        projects.MapGet("/{slug}/members", (string slug, ClaimsPrincipal user, ProjectMembers useCase, CancellationToken ct) =>
                useCase.ListAsync(user, slug, ct))
            .WithName("ListProjectMembers").WithSummary("The project's members and their roles.").ProducesProblem(StatusCodes.Status404NotFound);

        projects.MapPost("/{slug}/members", async (string slug, ClaimsPrincipal user, ProjectMembers useCase, AddProjectMemberRequest request, CancellationToken ct) =>
            {
                var member = await useCase.AddAsync(user, slug, request, ct);
                return TypedResults.Created($"/api/v1/projects/{slug}/members/{member.UserId}", member);
            })
            .WithName("AddProjectMember").WithSummary("Adds an existing user to the project (project admins).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        projects.MapPut("/{slug}/members/{userId}", (string slug, string userId, ClaimsPrincipal user, ProjectMembers useCase, ChangeProjectMemberRoleRequest request, CancellationToken ct) =>
                useCase.ChangeRoleAsync(user, slug, userId, request.Role, ct))
            .WithName("ChangeProjectMemberRole").WithSummary("Changes a member's role (project admins); the last admin keeps the role.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict);

        projects.MapDelete("/{slug}/members/{userId}", async (string slug, string userId, ClaimsPrincipal user, ProjectMembers useCase, CancellationToken ct) =>
            {
                await useCase.RemoveAsync(user, slug, userId, ct);
                return TypedResults.NoContent();
            })
            .WithName("RemoveProjectMember").WithSummary("Removes a member from the project (project admins); the last admin stays.")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict);

        return api;
    }
}
