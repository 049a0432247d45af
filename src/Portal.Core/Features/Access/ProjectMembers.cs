using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Auditing;

namespace Portal.Core.Features.Access;

/// <summary>Who belongs to a project and with which role. Reading needs Viewer; changing needs Admin.</summary>
public sealed class ProjectMembers(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access, TimeProvider clock)
{
    public static ProjectRole ParseRole(string? role) =>
        Enum.TryParse<ProjectRole>(role, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(role, out _)
            ? parsed
            : throw PortalException.BadRequest(ErrorCodes.RoleInvalid, $"'{role}' is not a role; use Viewer, Contributor, Reviewer or Admin.");

    public async Task<IReadOnlyList<ProjectMemberResponse>> ListAsync(ClaimsPrincipal user, string slug, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Memberships.AsNoTracking()
            .Where(m => m.ProjectId == grant.Project.Id)
            .Select(m => new { m.UserId, m.User.Email, m.User.DisplayName, m.Role, m.CreatedAt })
            .ToListAsync(ct);
        return rows
            .OrderByDescending(r => r.Role).ThenBy(r => r.DisplayName, StringComparer.OrdinalIgnoreCase)
            .Select(r => new ProjectMemberResponse(r.UserId, r.Email ?? "", r.DisplayName, r.Role.ToString(), r.CreatedAt))
            .ToList();
    }

    public async Task<ProjectMemberResponse> AddAsync(ClaimsPrincipal user, string slug, AddProjectMemberRequest request, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Admin, ct);
        var role = ParseRole(request.Role);
        var email = request.Email?.Trim() ?? "";
        if (email.Length is 0 or > 256)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, "Give the e-mail address of the user to add.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var normalized = email.ToUpperInvariant();
        var member = await db.Users.SingleOrDefaultAsync(u => u.NormalizedEmail == normalized, ct)
            ?? throw PortalException.NotFound(ErrorCodes.UserNotFound, $"No user has the e-mail address '{email}'. A site admin can create the account first.");
        var existing = await db.Memberships.SingleOrDefaultAsync(m => m.ProjectId == grant.Project.Id && m.UserId == member.Id, ct);
        var now = clock.GetUtcNow();
        if (existing is not null)
        {
            throw PortalException.Conflict(ErrorCodes.ValidationFailed, $"{email} is already a member ({existing.Role}); change their role instead.");
        }

        var membership = new ProjectMembership { ProjectId = grant.Project.Id, UserId = member.Id, Role = role, CreatedAt = now };
        db.Memberships.Add(membership);
        db.Record(now, grant.UserId, grant.Project.Id, "member.added", "membership", member.Id, after: new { member.Email, Role = role.ToString() });
        await db.SaveChangesAsync(ct);
        return new ProjectMemberResponse(member.Id, member.Email ?? "", member.DisplayName, role.ToString(), now);
    }

    public async Task<ProjectMemberResponse> ChangeRoleAsync(ClaimsPrincipal user, string slug, string memberId, string newRole, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Admin, ct);
        var role = ParseRole(newRole);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var membership = await db.Memberships.Include(m => m.User).SingleOrDefaultAsync(m => m.ProjectId == grant.Project.Id && m.UserId == memberId, ct)
            ?? throw PortalException.NotFound(ErrorCodes.MembershipNotFound, $"User {memberId} is not a member of '{slug}'.");
        if (membership.Role == ProjectRole.Admin && role != ProjectRole.Admin)
            await EnsureAnotherAdminAsync(db, grant.Project.Id, memberId, ct);
        var before = membership.Role;
        membership.Role = role;
        var now = clock.GetUtcNow();
        db.Record(now, grant.UserId, grant.Project.Id, "member.role_changed", "membership", memberId,
            before: new { Role = before.ToString() }, after: new { Role = role.ToString() });
        await db.SaveChangesAsync(ct);
        return new ProjectMemberResponse(memberId, membership.User.Email ?? "", membership.User.DisplayName, role.ToString(), membership.CreatedAt);
    }

    public async Task RemoveAsync(ClaimsPrincipal user, string slug, string memberId, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Admin, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var membership = await db.Memberships.SingleOrDefaultAsync(m => m.ProjectId == grant.Project.Id && m.UserId == memberId, ct)
            ?? throw PortalException.NotFound(ErrorCodes.MembershipNotFound, $"User {memberId} is not a member of '{slug}'.");
        if (membership.Role == ProjectRole.Admin)
            await EnsureAnotherAdminAsync(db, grant.Project.Id, memberId, ct);
        db.Memberships.Remove(membership);
        db.Record(clock.GetUtcNow(), grant.UserId, grant.Project.Id, "member.removed", "membership", memberId, before: new { Role = membership.Role.ToString() });
        await db.SaveChangesAsync(ct);
    }

    private static async Task EnsureAnotherAdminAsync(PortalDbContext db, Guid projectId, string memberId, CancellationToken ct)
    {
        var otherAdmins = await db.Memberships.CountAsync(m => m.ProjectId == projectId && m.Role == ProjectRole.Admin && m.UserId != memberId, ct);
        if (otherAdmins == 0)
            throw PortalException.Conflict(ErrorCodes.LastAdmin, "A project keeps at least one admin; make someone else admin first.");
    }
}
