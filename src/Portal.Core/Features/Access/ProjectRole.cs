namespace Portal.Core.Features.Access;

/// <summary>Project roles, ordered: each includes the rights of the ones before it.</summary>
public enum ProjectRole
{
    Viewer = 0,
    Contributor = 1,
    Reviewer = 2,
    Admin = 3,
}
