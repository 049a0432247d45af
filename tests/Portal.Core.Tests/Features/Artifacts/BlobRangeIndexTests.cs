using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Storage;
using Portal.TestCommon;

namespace Portal.Core.Tests.Features.Artifacts;

/// <summary>
/// The blob→range index is filled after ranges are stored. Every reverse look-up must give the same answer whether
/// the ranges involved are still in the backlog, partly indexed or fully indexed, and indexing must be repeatable.
/// </summary>
public abstract class BlobRangeIndexTests(PortalApp app)
{
    private async Task<T> DbAsync<T>(Func<PortalDbContext, Task<T>> query)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<PortalDbContext>());
    }

    /// <summary>What the look-ups answer now, for <paramref name="digests"/>.</summary>
    private async Task<string> AnswersAsync(TestProject team, IReadOnlyList<string> digests)
    {
        var lookups = app.Services.GetRequiredService<ContainingVersions>();
        var lines = new List<string>();
        foreach (var digest in digests)
        {
            var versions = await lookups.WithDigestAsync(team.Viewer.Principal, digest);
            lines.Add($"{digest[..8]} in " + string.Join(",", versions.Select(v => $"{v.VersionId}:{v.Path}").Order(StringComparer.Ordinal)));
            var ranges = await DbAsync(db => BlobRangeIndex.RangesNaming(db, digest).ToListAsync());
            lines.Add($"{digest[..8]} ranges " + string.Join(",", ranges.Order(StringComparer.Ordinal)));
        }
        var named = await DbAsync(db => BlobRangeIndex.NamedAmongAsync(db, digests, default));
        lines.Add("named " + string.Join(",", named.Order(StringComparer.Ordinal).Select(d => d[..8])));
        var unnamed = await DbAsync(db => db.StoredBlobs.Where(b => digests.Contains(b.Digest)).WhereNotNamed(db).Select(b => b.Digest).ToListAsync());
        lines.Add("unnamed " + string.Join(",", unnamed.Order(StringComparer.Ordinal).Select(d => d[..8])));
        var namedBlobs = await DbAsync(db => db.StoredBlobs.Where(b => digests.Contains(b.Digest)).WhereNamed(db).Select(b => b.Digest).ToListAsync());
        lines.Add("named blobs " + string.Join(",", namedBlobs.Order(StringComparer.Ordinal).Select(d => d[..8])));
        return string.Join("\n", lines);
    }

    [SkippableFact]
    public async Task Look_ups_answer_the_same_before_during_and_after_indexing()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var salt = Guid.NewGuid().ToString("N");
        var unique = "unique " + salt;
        var common = "common " + salt;
        var orphan = "orphan " + salt;
        // Enough files that the versions have several ranges, one of them shared.
        var many = Enumerable.Range(0, 3000).Select(i => TestManifests.Entry($"bulk/{i:D5}.txt", $"bulk {i} {salt}")).ToList();
        var v0 = await TestManifests.StoreCommittedVersionAsync(app.Services, team.Project.Id, "docs",
            [TestManifests.Entry("a.txt", unique), TestManifests.Entry("b.txt", common), .. many]);
        var v1 = await TestManifests.StoreCommittedVersionAsync(app.Services, team.Project.Id, "docs",
            [TestManifests.Entry("renamed.txt", unique), TestManifests.Entry("b.txt", common), .. many]);
        string[] digests = [TestManifests.DigestOf(unique), TestManifests.DigestOf(common), TestManifests.DigestOf(orphan), TestManifests.DigestOf($"bulk 2999 {salt}")];
        await DbAsync(async db =>
        {
            foreach (var digest in digests)
                db.StoredBlobs.Add(new StoredBlob { Digest = digest, Size = 1, StoredAt = DateTimeOffset.UtcNow });
            return await db.SaveChangesAsync();
        });
        var ranges = await DbAsync(db => db.VersionRanges.Where(vr => vr.VersionId == v0 || vr.VersionId == v1).Select(vr => vr.RangeDigest).Distinct().ToListAsync());
        Assert.True(ranges.Count >= 3, $"expected several ranges, got {ranges.Count}");

        // In the backlog (unless the background indexer already ran): answered from the ranges' entries.
        var expected = await AnswersAsync(team, digests);
        Assert.Contains($"{digests[0][..8]} in {string.Join(",", new[] { $"{v0}:a.txt", $"{v1}:renamed.txt" }.Order(StringComparer.Ordinal))}", expected, StringComparison.Ordinal);
        Assert.Contains($"unnamed {digests[2][..8]}\n", expected, StringComparison.Ordinal);

        // Fully indexed: the backlog is empty for these ranges and the index holds exactly their (blob, range) pairs.
        var indexer = app.Services.GetRequiredService<BlobRangeIndexer>();
        await indexer.DrainAsync();
        Assert.Equal(0, await DbAsync(db => db.UnindexedRanges.CountAsync(u => ranges.Contains(u.RangeDigest))));
        var pairs = await DbAsync(db => db.RangeEntries.Where(e => ranges.Contains(e.RangeDigest)).Select(e => e.Digest + " " + e.RangeDigest).Distinct().ToListAsync());
        var indexed = await DbAsync(db => db.BlobRanges.Where(b => ranges.Contains(b.RangeDigest)).Select(b => b.Digest + " " + b.RangeDigest).ToListAsync());
        Assert.Equal(pairs.Order(StringComparer.Ordinal), indexed.Order(StringComparer.Ordinal));
        Assert.Equal(expected, await AnswersAsync(team, digests));

        // Partly indexed: one range back in the backlog, without its index rows.
        var requeued = ranges[0];
        await DbAsync(async db =>
        {
            await db.BlobRanges.Where(b => b.RangeDigest == requeued).ExecuteDeleteAsync();
            db.UnindexedRanges.Add(new UnindexedRange { RangeDigest = requeued });
            return await db.SaveChangesAsync();
        });
        Assert.Equal(expected, await AnswersAsync(team, digests));

        // A range queued again although it is indexed (another process indexed it meanwhile): indexing it again is harmless.
        await DbAsync(async db =>
        {
            db.UnindexedRanges.AddRange(ranges.Skip(1).Select(r => new UnindexedRange { RangeDigest = r }));
            return await db.SaveChangesAsync();
        });
        Assert.Equal(expected, await AnswersAsync(team, digests));
        await indexer.DrainAsync();
        indexed = await DbAsync(db => db.BlobRanges.Where(b => ranges.Contains(b.RangeDigest)).Select(b => b.Digest + " " + b.RangeDigest).ToListAsync());
        Assert.Equal(pairs.Order(StringComparer.Ordinal), indexed.Order(StringComparer.Ordinal));
        Assert.Equal(0, await DbAsync(db => db.UnindexedRanges.CountAsync(u => ranges.Contains(u.RangeDigest))));
        Assert.Equal(expected, await AnswersAsync(team, digests));
    }

    [SkippableFact]
    public async Task Uploads_queue_their_new_ranges_and_the_background_indexer_empties_the_queue()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var salt = Guid.NewGuid().ToString("N");
        var version = await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "corpus", "documents", null, "",
            ("one.txt", "one " + salt), ("two.txt", "two " + salt));
        var ranges = await DbAsync(db => db.VersionRanges.Where(vr => vr.VersionId == version.Id).Select(vr => vr.RangeDigest).ToListAsync());
        Assert.NotEmpty(ranges);

        // The upload signalled the hosted indexer; it indexes the new range within moments.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await DbAsync(db => db.UnindexedRanges.CountAsync(u => ranges.Contains(u.RangeDigest))) > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the background indexer did not index the upload's ranges within 30 s");
            await Task.Delay(50);
        }
        var named = await DbAsync(db => db.BlobRanges.Where(b => ranges.Contains(b.RangeDigest)).Select(b => b.Digest).ToListAsync());
        Assert.Equal(
            new[] { TestManifests.DigestOf("one " + salt), TestManifests.DigestOf("two " + salt) }.Order(StringComparer.Ordinal),
            named.Order(StringComparer.Ordinal));
    }
}

public sealed class BlobRangeIndexTests_Sqlite(SqliteApp app) : BlobRangeIndexTests(app), IClassFixture<SqliteApp>;

public sealed class BlobRangeIndexTests_Postgres(PostgresApp app) : BlobRangeIndexTests(app), IClassFixture<PostgresApp>;

public sealed class BlobRangeIndexTests_SqlServer(SqlServerApp app) : BlobRangeIndexTests(app), IClassFixture<SqlServerApp>;
