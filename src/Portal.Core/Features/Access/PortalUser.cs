using Microsoft.AspNetCore.Identity;

namespace Portal.Core.Features.Access;

public class PortalUser : IdentityUser
{
    public string DisplayName { get; set; } = "";

    /// <summary>Site admins see every project and the jobs dashboard.</summary>
    public bool IsSiteAdmin { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
