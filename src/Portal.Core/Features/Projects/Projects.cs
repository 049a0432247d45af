using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Auditing;

namespace Portal.Core.Features.Projects;

/// <summary>Create, list and read projects.</summary>
public sealed class Projects(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access, TimeProvider clock)
{
    public async Task<ProjectResponse> CreateAsync(ClaimsPrincipal user, CreateProjectRequest request, CancellationToken ct = default)
    {
        var userId = ProjectAccess.UserId(user) ?? throw PortalException.Unauthenticated();
        var slug = request.Slug?.Trim() ?? "";
        ProjectSlug.Validate(slug);
        var name = string.IsNullOrWhiteSpace(request.Name) ? slug : request.Name.Trim();
        if (name.Length > 200)
            throw PortalException.BadRequest(ErrorCodes.ProjectNameInvalid, $"A project name has at most 200 characters (got {name.Length}).");
        var description = request.Description?.Trim() ?? "";
        if (description.Length > 4000)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, $"A project description has at most 4,000 characters (got {description.Length}).");

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Projects.AnyAsync(p => p.Slug == slug, ct))
            throw PortalException.Conflict(ErrorCodes.ProjectSlugTaken, $"A project '{slug}' already exists; choose another slug.");
        var now = clock.GetUtcNow();
        var project = new Project
        {
            Id = Guid.NewGuid(),
            Slug = slug,
            Name = name,
            Description = description,
            CreatedAt = now,
            CreatedById = userId,
        };
        db.Projects.Add(project);
        db.Memberships.Add(new ProjectMembership { ProjectId = project.Id, UserId = userId, Role = ProjectRole.Admin, CreatedAt = now });
        db.Record(now, userId, project.Id, "project.created", "project", project.Id.ToString(), after: new { project.Slug, project.Name });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Lost a race with another request creating the same slug.
            if (await SlugExistsAsync(slug, ct))
                throw PortalException.Conflict(ErrorCodes.ProjectSlugTaken, $"A project '{slug}' already exists; choose another slug.");
            throw;
        }

        return new ProjectResponse(project.Id, project.Slug, project.Name, project.Description, project.CreatedAt, nameof(ProjectRole.Admin), 1);
    }

    private async Task<bool> SlugExistsAsync(string slug, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Projects.AnyAsync(p => p.Slug == slug, ct);
    }

    /// <summary>Projects the user can see (all of them for site admins), optionally filtered by a search text.</summary>
    public async Task<IReadOnlyList<ProjectResponse>> ListAsync(ClaimsPrincipal user, string? search = null, CancellationToken ct = default)
    {
        var userId = ProjectAccess.UserId(user) ?? throw PortalException.Unauthenticated();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var isSiteAdmin = await db.Users.Where(u => u.Id == userId).Select(u => u.IsSiteAdmin).SingleOrDefaultAsync(ct);
        // Registry collections are projects of another kind, listed under /registry.
        var query = db.Projects.AsNoTracking().Where(p => p.Kind == ProjectKind.Project);
        if (!isSiteAdmin)
            query = query.Where(p => db.Memberships.Any(m => m.ProjectId == p.Id && m.UserId == userId));
        if (!string.IsNullOrWhiteSpace(search))
        {
            var term = search.Trim().ToLower();
            query = query.Where(p => p.Slug.Contains(term) || p.Name.ToLower().Contains(term) || p.Description.ToLower().Contains(term));
        }

        var rows = await query
            .OrderBy(p => p.Name)
            .Select(p => new
            {
                p.Id,
                p.Slug,
                p.Name,
                p.Description,
                p.CreatedAt,
                Role = db.Memberships.Where(m => m.ProjectId == p.Id && m.UserId == userId).Select(m => (ProjectRole?)m.Role).FirstOrDefault(),
                MemberCount = db.Memberships.Count(m => m.ProjectId == p.Id),
            })
            .Take(1000)
            .ToListAsync(ct);
        return rows
            .Select(r => new ProjectResponse(r.Id, r.Slug, r.Name, r.Description, r.CreatedAt, (isSiteAdmin ? ProjectRole.Admin : r.Role ?? ProjectRole.Viewer).ToString(), r.MemberCount))
            .ToList();
    }

    public async Task<ProjectResponse> GetAsync(ClaimsPrincipal user, string slug, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var members = await db.Memberships.CountAsync(m => m.ProjectId == grant.Project.Id, ct);
        var p = grant.Project;
        return new ProjectResponse(p.Id, p.Slug, p.Name, p.Description, p.CreatedAt, grant.Role.ToString(), members);
    }
}
