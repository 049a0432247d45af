namespace Portal.Client.Models;

public sealed record ProjectResponse(
    Guid Id,
    string Slug,
    string Name,
    string Description,
    DateTimeOffset CreatedAt,
    string Role,
    int MemberCount);

public sealed record CreateProjectRequest(string Slug, string Name, string? Description = null);

public sealed record ProjectMemberResponse(
    string UserId,
    string Email,
    string DisplayName,
    string Role,
    DateTimeOffset Since);

public sealed record AddProjectMemberRequest(string Email, string Role);

public sealed record ChangeProjectMemberRoleRequest(string Role);

public sealed record PagedResponse<T>(IReadOnlyList<T> Items, int Total, string? ContinuationToken = null);
