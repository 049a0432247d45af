using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Auditing;
using Portal.TestCommon;

namespace Portal.Core.Tests.Features.Auditing;

public abstract class AuditChainTests(PortalApp app)
{
    [SkippableFact]
    public async Task Concurrent_writers_build_one_unbroken_chain()
    {
        app.SkipIfUnavailable();
        var factory = app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await Parallel.ForAsync(0, 12, async (i, ct) =>
        {
            await using var db = await factory.CreateDbContextAsync(ct);
            db.Record(DateTimeOffset.UtcNow, null, null, "test.event", "test", i.ToString(System.Globalization.CultureInfo.InvariantCulture), after: new { i });
            await db.SaveChangesAsync(ct);
        });

        await using var check = await factory.CreateDbContextAsync();
        var events = await check.AuditEvents.AsNoTracking().OrderBy(e => e.Sequence).ToListAsync();
        Assert.True(events.Count >= 12);
        var previous = AuditChain.GenesisHash;
        for (var i = 0; i < events.Count; i++)
        {
            Assert.Equal(i + 1, events[i].Sequence);
            Assert.Equal(previous, events[i].PreviousHash);
            Assert.Equal(AuditChain.ComputeHash(previous, events[i]), events[i].Hash);
            previous = events[i].Hash;
        }

        var head = await check.AuditChainHeads.SingleAsync();
        Assert.Equal(events[^1].Sequence, head.Sequence);
        Assert.Equal(events[^1].Hash, head.Hash);
    }

    [Fact]
    public void Changing_any_field_changes_the_hash()
    {
        var e = new AuditEvent { Sequence = 1, Action = "a", TargetType = "t", TargetId = "1", At = DateTimeOffset.UnixEpoch, AfterJson = "{\"x\":1}" };
        var original = AuditChain.ComputeHash(AuditChain.GenesisHash, e);
        e.AfterJson = "{\"x\":2}";
        Assert.NotEqual(original, AuditChain.ComputeHash(AuditChain.GenesisHash, e));
        e.AfterJson = "{\"x\":1}";
        Assert.Equal(original, AuditChain.ComputeHash(AuditChain.GenesisHash, e));
        Assert.NotEqual(original, AuditChain.ComputeHash(new string('1', 64), e));
    }
}

public sealed class AuditChainTests_Sqlite(SqliteApp app) : AuditChainTests(app), IClassFixture<SqliteApp>;

public sealed class AuditChainTests_Postgres(PostgresApp app) : AuditChainTests(app), IClassFixture<PostgresApp>;

public sealed class AuditChainTests_SqlServer(SqlServerApp app) : AuditChainTests(app), IClassFixture<SqlServerApp>;
