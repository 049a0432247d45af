using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Auditing;
using Portal.TestCommon;

namespace Portal.Core.Tests.Features.Auditing;

public abstract class AuditBrowseTests(PortalApp app)
{
    [SkippableFact]
    public async Task Pages_walk_the_log_both_ways_by_sequence_number()
    {
        app.SkipIfUnavailable();
        var owner = await app.Data.CreateUserAsync("browser");
        var project = await app.Data.CreateProjectAsync(owner);
        var factory = app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using (var db = await factory.CreateDbContextAsync())
        {
            for (var i = 0; i < 12; i++)
            {
                db.Record(DateTimeOffset.UtcNow, owner.Id, project.Id, "browse.test", "item", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                await db.SaveChangesAsync();
            }
        }

        var trail = app.Services.GetRequiredService<AuditTrail>();
        var query = new AuditQuery(project.Slug, Action: "browse.", Limit: 5);

        var newest = await trail.BrowseAsync(owner.Principal, query);
        Assert.Equal(12, newest.Total);
        Assert.Equal(["11", "10", "9", "8", "7"], newest.Items.Select(e => e.TargetId));
        Assert.Null(newest.Newer);
        Assert.NotNull(newest.Older);

        var middle = await trail.BrowseAsync(owner.Principal, query with { Before = newest.Older });
        Assert.Equal(["6", "5", "4", "3", "2"], middle.Items.Select(e => e.TargetId));
        var last = await trail.BrowseAsync(owner.Principal, query with { Before = middle.Older });
        Assert.Equal(["1", "0"], last.Items.Select(e => e.TargetId));
        Assert.Null(last.Older);

        var back = await trail.BrowseAsync(owner.Principal, query with { After = last.Newer });
        Assert.Equal(["6", "5", "4", "3", "2"], back.Items.Select(e => e.TargetId));
        Assert.Equal(middle.Newer, back.Newer);
        Assert.Equal(middle.Older, back.Older);
    }
}

public sealed class AuditBrowseTests_Sqlite(SqliteApp app) : AuditBrowseTests(app), IClassFixture<SqliteApp>;

public sealed class AuditBrowseTests_Postgres(PostgresApp app) : AuditBrowseTests(app), IClassFixture<PostgresApp>;

public sealed class AuditBrowseTests_SqlServer(SqlServerApp app) : AuditBrowseTests(app), IClassFixture<SqlServerApp>;
