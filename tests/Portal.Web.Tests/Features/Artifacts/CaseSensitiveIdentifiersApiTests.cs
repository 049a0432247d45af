using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Portal.Core.Data;

namespace Portal.Web.Tests.Features.Artifacts;

/// <summary>
/// Identifiers that differ only by case are different identifiers on every provider: SQLite and PostgreSQL compare
/// by code point, SQL Server's identifier columns carry a binary collation (its default collation ignores case).
/// </summary>
public abstract class CaseSensitiveIdentifiersApiTests(PortalApp app)
{
    [SkippableFact]
    public async Task Artifacts_and_paths_differing_only_by_case_are_distinct()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var uploads = new ArtifactUploads(client, team.Slug);

        var upper = (await uploads.PublishAsync("Corpus", [], [ArtifactUploads.Reference("Docs/Readme.md"), ArtifactUploads.Reference("docs/readme.md")])).Version;
        var lower = (await uploads.PublishAsync("corpus", [], [ArtifactUploads.Reference("docs/readme.md")])).Version;

        Assert.NotEqual(upper.Id, lower.Id);
        Assert.Equal(("Corpus", "v0"), (upper.ArtifactName, upper.Version));
        Assert.Equal(("corpus", "v0"), (lower.ArtifactName, lower.Version));
        var upperVersions = await uploads.ListVersionsAsync("Corpus");
        var lowerVersions = await uploads.ListVersionsAsync("corpus");
        Assert.Equal([upper.Id], upperVersions.Items.Select(v => v.Id));
        Assert.Equal([lower.Id], lowerVersions.Items.Select(v => v.Id));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/projects/{team.Slug}/artifacts/Corpus")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/v1/projects/{team.Slug}/artifacts/CORPUS")).StatusCode);
    }
}

public sealed class CaseSensitiveIdentifiersApiTests_Sqlite(SqliteApp app) : CaseSensitiveIdentifiersApiTests(app), IClassFixture<SqliteApp>;

public sealed class CaseSensitiveIdentifiersApiTests_Postgres(PostgresApp app) : CaseSensitiveIdentifiersApiTests(app), IClassFixture<PostgresApp>;

public sealed class CaseSensitiveIdentifiersApiTests_SqlServer(SqlServerApp app) : CaseSensitiveIdentifiersApiTests(app), IClassFixture<SqlServerApp>;

/// <summary>The SQL Server model gives every identifier column of the portal's tables the binary collation.</summary>
public sealed class CaseSensitiveIdentifiersModelTests
{
    [Fact]
    public void SqlServer_identifier_columns_are_case_sensitive_and_other_providers_keep_their_default()
    {
        using var sqlServer = new PortalDbContext(new DbContextOptionsBuilder<PortalDbContext>().UseSqlServer("Server=unused;Database=portal").Options);
        var identifiers = sqlServer.GetService<IDesignTimeModel>().Model.GetEntityTypes()
            .Where(e => e.ClrType.Namespace!.StartsWith("Portal.Core.Features", StringComparison.Ordinal))
            .SelectMany(e => e.GetDeclaredProperties().Select(p => (Entity: e, Property: p)))
            .Where(x => x.Property.ClrType == typeof(string) && PortalDbContext.IdentifierColumns.Contains(x.Property.Name))
            .ToList();
        Assert.Contains(identifiers, x => x.Entity.GetTableName() == "Artifacts" && x.Property.Name == "Name");
        Assert.Contains(identifiers, x => x.Entity.GetTableName() == "Projects" && x.Property.Name == "Slug");
        Assert.Contains(identifiers, x => x.Entity.GetTableName() == "RangeEntries" && x.Property.Name == "Path");
        Assert.Contains(identifiers, x => x.Entity.GetTableName() == "RunMetricPoints" && x.Property.Name == "Key");
        Assert.Contains(identifiers, x => x.Entity.GetTableName() == "Aliases" && x.Property.Name == "Name");
        Assert.All(identifiers, x => Assert.Equal(PortalDbContext.CaseSensitiveCollation, x.Property.GetCollation()));

        using var sqlite = new PortalDbContext(new DbContextOptionsBuilder<PortalDbContext>().UseSqlite("Data Source=:memory:").Options);
        Assert.All(sqlite.GetService<IDesignTimeModel>().Model.GetEntityTypes().SelectMany(e => e.GetProperties()), p => Assert.Null(p.GetCollation()));
    }
}
