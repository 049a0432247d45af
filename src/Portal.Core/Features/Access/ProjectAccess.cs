using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Core.Data;
using Portal.Core.Features.Projects;

namespace Portal.Core.Features.Access;

/// <summary>What a user may do in a project: "a role at least this high".</summary>
public sealed class ProjectRoleRequirement(ProjectRole minimum) : IAuthorizationRequirement
{
    public ProjectRole Minimum { get; } = minimum;
}

/// <summary>
/// The one authorization handler for project roles, used by pages (through <see cref="IAuthorizationService"/>) and
/// endpoints (through <see cref="ProjectAccess"/>). The database is asked each time, so a removed member loses
/// access at once, whatever their cookie says.
/// </summary>
public sealed class ProjectRoleHandler(IDbContextFactory<PortalDbContext> dbFactory) : AuthorizationHandler<ProjectRoleRequirement, Project>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, ProjectRoleRequirement requirement, Project resource)
    {
        var role = await ProjectAccess.EffectiveRoleAsync(dbFactory, context.User, resource.Id, CancellationToken.None);
        if (role is { } r && r >= requirement.Minimum)
            context.Succeed(requirement);
    }
}

public sealed record ProjectAccessGrant(Project Project, ProjectRole Role, string UserId);

public sealed class ProjectAccess(IDbContextFactory<PortalDbContext> dbFactory, IAuthorizationService authorization)
{
    public static string? UserId(ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.NameIdentifier);

    /// <summary>The user's role in the project: their membership, or Admin for site admins; null when neither.</summary>
    public static async Task<ProjectRole?> EffectiveRoleAsync(IDbContextFactory<PortalDbContext> dbFactory, ClaimsPrincipal user, Guid projectId, CancellationToken ct)
    {
        var userId = UserId(user);
        if (userId is null)
            return null;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var facts = await db.Users.AsNoTracking()
            .Where(u => u.Id == userId)
            .Select(u => new
            {
                u.IsSiteAdmin,
                Role = db.Memberships.Where(m => m.ProjectId == projectId && m.UserId == userId).Select(m => (ProjectRole?)m.Role).FirstOrDefault(),
                IsRegistry = db.Projects.Any(p => p.Id == projectId && p.Kind == ProjectKind.Registry),
            })
            .SingleOrDefaultAsync(ct);
        if (facts is null)
            return null;
        if (facts.IsSiteAdmin)
            return ProjectRole.Admin;
        // Registry collections are site-wide: every signed-in user reads them; members hold the higher roles.
        return facts.Role ?? (facts.IsRegistry ? ProjectRole.Viewer : null);
    }

    /// <summary>The user's role in the project with this slug; null when they have none or the project does not exist.</summary>
    public async Task<ProjectRole?> RoleInAsync(ClaimsPrincipal user, string slug, CancellationToken ct = default)
    {
        Guid? projectId;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            projectId = await db.Projects.AsNoTracking().Where(p => p.Slug == slug).Select(p => (Guid?)p.Id).SingleOrDefaultAsync(ct);
        }

        return projectId is { } id ? await EffectiveRoleAsync(dbFactory, user, id, ct) : null;
    }

    /// <summary>
    /// Loads the project and checks the role. A non-member gets the same 404 as for a project that does not exist,
    /// so project names do not leak; a member without the role gets 403 saying which role is needed.
    /// </summary>
    public async Task<ProjectAccessGrant> RequireAsync(ClaimsPrincipal user, string slug, ProjectRole minimum, CancellationToken ct = default)
    {
        var userId = UserId(user) ?? throw PortalException.Unauthenticated();
        Project? project;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            project = await db.Projects.AsNoTracking().SingleOrDefaultAsync(p => p.Slug == slug, ct);
        }

        var notFound = PortalException.NotFound(ErrorCodes.ProjectNotFound, $"No project '{slug}' exists, or you are not a member of it.");
        if (project is null)
            throw notFound;
        var role = await EffectiveRoleAsync(dbFactory, user, project.Id, ct) ?? throw notFound;
        var result = await authorization.AuthorizeAsync(user, project, new ProjectRoleRequirement(minimum));
        if (!result.Succeeded)
        {
            throw PortalException.Forbidden(
                $"This needs the {minimum} role in project '{slug}'; you are a {role}. Ask a project admin to change your role.");
        }

        return new ProjectAccessGrant(project, role, userId);
    }
}
