using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Artifacts.Manifests;
using Portal.Core.Features.Projects;
using Portal.TestCommon;

namespace Portal.Core.Tests.Data;

/// <summary>
/// A portal upgraded to blob possession keeps every version working: each project holds the blobs its committed
/// versions name, and nothing else (not what only a pending version or another project names).
/// </summary>
public abstract class BlobPossessionMigrationTests(DatabaseProvider provider)
{
    [SkippableFact]
    public async Task Existing_committed_versions_give_their_projects_their_blobs()
    {
        var unavailable = TestDatabase.UnavailableReason(provider);
        Skip.If(unavailable is not null, unavailable);
        await using var database = await TestDatabase.CreateAsync(provider);
        var options = new DbContextOptionsBuilder<PortalDbContext>();
        DatabaseServiceCollectionExtensions.Configure(options, provider, database.ConnectionString);
        await using var db = new PortalDbContext(options.Options);
        var migrator = db.GetService<IMigrator>();
        var before = db.Database.GetMigrations().TakeWhile(m => !m.EndsWith("_BlobPossession", StringComparison.Ordinal)).Last();
        await migrator.MigrateAsync(before);

        var now = DateTimeOffset.UtcNow;
        var mine = new Project { Id = Guid.NewGuid(), Slug = "mine", Name = "Mine", CreatedAt = now };
        var theirs = new Project { Id = Guid.NewGuid(), Slug = "theirs", Name = "Theirs", CreatedAt = now };
        // The projects as the schema of that time holds them (the entity has gained columns since).
        foreach (var project in new[] { mine, theirs })
        {
            await db.Database.ExecuteSqlAsync(
                $"INSERT INTO \"Projects\" (\"Id\", \"Slug\", \"Name\", \"Description\", \"CreatedAt\") VALUES ({project.Id}, {project.Slug}, {project.Name}, {""}, {now})");
        }
        void Store(Project project, string artifactName, VersionState state, params ManifestEntry[] entries)
        {
            var artifact = new Artifact { Id = Guid.NewGuid(), ProjectId = project.Id, Name = artifactName, Type = "dataset", CreatedAt = now };
            var version = new ArtifactVersion { Id = Guid.NewGuid(), ArtifactId = artifact.Id, State = state, CreatedAt = now, CommittedAt = state == VersionState.Committed ? now : null };
            var summary = ManifestRangeBuilder.Build(entries.OrderBy(e => e.Path, Utf8PathComparer.Instance), range =>
            {
                db.VersionRanges.Add(new VersionRange { VersionId = version.Id, Ordinal = range.Ordinal, RangeDigest = range.Digest });
                db.ManifestRanges.Add(ManifestRange.Of(range));
                for (var i = 0; i < range.Entries.Count; i++)
                {
                    var e = range.Entries[i];
                    db.RangeEntries.Add(new RangeEntry { RangeDigest = range.Digest, Ordinal = i, Path = e.Path, Digest = e.Digest, Size = e.Size, Ref = e.Ref });
                }
            });
            version.ManifestDigest = summary.Digest;
            version.FileCount = summary.FileCount;
            db.Artifacts.Add(artifact);
            db.ArtifactVersions.Add(version);
        }

        var shared = TestManifests.Entry("shared.txt", "in both projects");
        Store(mine, "docs", VersionState.Committed, TestManifests.Entry("a.txt", "mine"), shared, new ManifestEntry("ref.bin", TestManifests.DigestOf("remote"), 6, "s3://bucket/ref.bin", null));
        Store(theirs, "docs", VersionState.Committed, TestManifests.Entry("b.txt", "theirs"), shared with { Path = "copy.txt" });
        Store(mine, "draft", VersionState.Pending, TestManifests.Entry("pending.txt", "never committed"));
        await db.SaveChangesAsync();

        await migrator.MigrateAsync();
        db.ChangeTracker.Clear();
        var held = await db.ProjectBlobs.AsNoTracking().Select(p => new { p.ProjectId, p.Digest }).ToListAsync();
        var expected = new[]
        {
            (mine.Id, TestManifests.DigestOf("mine")), (mine.Id, TestManifests.DigestOf("in both projects")),
            (theirs.Id, TestManifests.DigestOf("theirs")), (theirs.Id, TestManifests.DigestOf("in both projects")),
        };
        Assert.Equal(expected.Order(), held.Select(h => (h.ProjectId, h.Digest)).Order());
    }
}

public sealed class BlobPossessionMigrationTests_Sqlite() : BlobPossessionMigrationTests(DatabaseProvider.Sqlite);

public sealed class BlobPossessionMigrationTests_Postgres() : BlobPossessionMigrationTests(DatabaseProvider.Postgres);

public sealed class BlobPossessionMigrationTests_SqlServer() : BlobPossessionMigrationTests(DatabaseProvider.SqlServer);
