using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Client.Models;
using Portal.Core.Features.Access;
using Portal.Core.Features.Projects;

namespace Portal.Core.Data;

public sealed record DemoLogin(string Email, string Role, string Password);

/// <summary>
/// Development demo data: a living portal for a newcomer, made through the same use cases the API calls.
/// Runs once — it does nothing when the demo project exists.
/// </summary>
public sealed class DemoData(
    IDbContextFactory<PortalDbContext> dbFactory,
    Users users,
    Projects projects,
    ProjectMembers members,
    IEnumerable<IDemoDataContributor> contributors,
    ILogger<DemoData> logger)
{
    public const string ProjectSlug = "rag-support";

    public async Task<IReadOnlyList<DemoLogin>> SeedAsync(string adminEmail, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Projects.AnyAsync(p => p.Slug == ProjectSlug, ct))
            return [];
        var admin = await db.Users.SingleAsync(u => u.Email == adminEmail, ct);
        var principal = PrincipalFor(admin.Id);
        await projects.CreateAsync(principal, new CreateProjectRequest(
            ProjectSlug,
            "RAG support assistant",
            "Knowledge base, chunking and retrieval index behind the customer-support assistant."), ct);

        var logins = new List<DemoLogin>();
        foreach (var (email, name, role) in new[]
                 {
                     ("reviewer@portal.local", "Riley Reviewer", ProjectRole.Reviewer),
                     ("contributor@portal.local", "Casey Contributor", ProjectRole.Contributor),
                 })
        {
            var (user, password) = await users.CreateUserAsync(email, name, password: null, isSiteAdmin: false);
            await members.AddAsync(principal, ProjectSlug, new AddProjectMemberRequest(email, role.ToString()), ct);
            logins.Add(new DemoLogin(user.Email!, role.ToString(), password!));
        }

        foreach (var contributor in contributors)
            await contributor.SeedAsync(principal, ProjectSlug, ct);
        logger.LogInformation("Seeded the demo project {Slug}", ProjectSlug);
        return logins;
    }

    public static ClaimsPrincipal PrincipalFor(string userId) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, userId)], "seed"));
}

/// <summary>Features add their part of the demo (runs, artifacts, promotions) by implementing this.</summary>
public interface IDemoDataContributor
{
    Task SeedAsync(ClaimsPrincipal admin, string projectSlug, CancellationToken ct);
}
