using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Features.Access;

namespace Portal.Core.Tests.Data;

/// <summary>
/// Queries that run on SQLite/PostgreSQL in the test suite must also translate on SQL Server, the production target.
/// </summary>
public class SqlServerTranslationTests
{
    [Fact]
    public void Project_list_with_role_and_member_count_translates()
    {
        using var db = MigrationsTests.ContextFor(DatabaseProvider.SqlServer);
        const string userId = "u1";
        var sql = db.Projects
            .Where(p => db.Memberships.Any(m => m.ProjectId == p.Id && m.UserId == userId))
            .Where(p => p.Slug.Contains("rag") || p.Name.ToLower().Contains("rag"))
            .OrderBy(p => p.Name)
            .Select(p => new
            {
                p.Id,
                Role = db.Memberships.Where(m => m.ProjectId == p.Id && m.UserId == userId).Select(m => (ProjectRole?)m.Role).FirstOrDefault(),
                MemberCount = db.Memberships.Count(m => m.ProjectId == p.Id),
            })
            .Take(1000)
            .ToQueryString();
        Assert.Contains("[Projects]", sql, StringComparison.Ordinal);
        Assert.Contains("TOP", sql, StringComparison.Ordinal);
    }

    [Fact]
    public void Effective_role_lookup_translates()
    {
        using var db = MigrationsTests.ContextFor(DatabaseProvider.SqlServer);
        var projectId = Guid.NewGuid();
        var sql = db.Users.Where(u => u.Id == "u1")
            .Select(u => new
            {
                u.IsSiteAdmin,
                Role = db.Memberships.Where(m => m.ProjectId == projectId && m.UserId == "u1").Select(m => (ProjectRole?)m.Role).FirstOrDefault(),
            })
            .ToQueryString();
        Assert.Contains("[AspNetUsers]", sql, StringComparison.Ordinal);
    }
}
