namespace Portal.Client.Models;

/// <summary>A project, with the role of the user who asks and the member count.</summary>
public sealed record ProjectResponse(
    Guid Id,
    string Slug,
    string Name,
    string Description,
    DateTimeOffset CreatedAt,
    string Role,
    int MemberCount);

/// <summary>Creates a project; its slug is its name in URLs.</summary>
public sealed record CreateProjectRequest(string Slug, string Name, string? Description = null);

/// <summary>A member of a project and their role.</summary>
public sealed record ProjectMemberResponse(
    string UserId,
    string Email,
    string DisplayName,
    string Role,
    DateTimeOffset Since);

/// <summary>Adds an existing user to a project with a role.</summary>
public sealed record AddProjectMemberRequest(string Email, string Role);

/// <summary>The new role of a project member.</summary>
public sealed record ChangeProjectMemberRoleRequest(string Role);

/// <summary>One page of a list: the items, the total and the token for the next page (null on the last).</summary>
public sealed record PagedResponse<T>(IReadOnlyList<T> Items, int Total, string? ContinuationToken = null);
