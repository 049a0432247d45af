using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Tests.Data;

namespace Portal.Core.Tests.Features.Artifacts;

/// <summary>
/// The artifact queries the API tests run on SQLite and PostgreSQL must also translate on SQL Server (the production
/// target), and stay set-based: one statement, no client evaluation.
/// </summary>
public class ArtifactQueryTranslationTests
{
    [Fact]
    public void Missing_digests_of_a_version_is_one_anti_join()
    {
        using var db = MigrationsTests.ContextFor(DatabaseProvider.SqlServer);
        var scope = new VersionScope(Guid.NewGuid(), Guid.NewGuid(), ["creator", "committer"]);
        var sql = VersionQueries.MissingDigests(db, scope).Take(100).ToQueryString();
        Assert.Contains("[VersionRanges]", sql, StringComparison.Ordinal);
        Assert.Contains("[RangeEntries]", sql, StringComparison.Ordinal);
        Assert.Contains("[ProjectBlobs]", sql, StringComparison.Ordinal);
        Assert.Contains("[UserBlobs]", sql, StringComparison.Ordinal);
        Assert.Contains("NOT EXISTS", sql, StringComparison.Ordinal);
        Assert.Contains("DISTINCT", sql, StringComparison.Ordinal);
    }

    [Fact]
    public void Size_mismatches_and_blobs_not_yet_held_translate_as_one_statement_each()
    {
        using var db = MigrationsTests.ContextFor(DatabaseProvider.SqlServer);
        var scope = new VersionScope(Guid.NewGuid(), Guid.NewGuid(), ["creator"]);
        var mismatches = VersionQueries.SizeMismatches(db, scope).Take(20).ToQueryString();
        Assert.Contains("[StoredBlobs]", mismatches, StringComparison.Ordinal);
        Assert.Contains("[ProjectBlobs]", mismatches, StringComparison.Ordinal);
        Assert.Contains("<>", mismatches, StringComparison.Ordinal);
        var present = BlobPossession.PresentForUser(db, "someone", isSiteAdmin: false).Select(b => b.Digest).ToQueryString();
        Assert.Contains("[Memberships]", present, StringComparison.Ordinal);
        Assert.Contains("[UserBlobs]", present, StringComparison.Ordinal);
    }

    [Fact]
    public void Blob_look_ups_read_the_index_and_the_backlog_in_one_statement()
    {
        using var db = MigrationsTests.ContextFor(DatabaseProvider.SqlServer);
        var digest = new string('a', 64);
        var entries = BlobRangeIndex.EntriesNaming(db, digest).Select(e => new { e.RangeDigest, e.Path }).ToQueryString();
        Assert.Contains("[BlobRanges]", entries, StringComparison.Ordinal);
        Assert.Contains("[UnindexedRanges]", entries, StringComparison.Ordinal);
        Assert.Contains("UNION", entries, StringComparison.Ordinal);
        var unnamed = db.StoredBlobs.Where(b => b.UnreferencedSince == null).WhereNotNamed(db).Select(b => b.Digest).ToQueryString();
        Assert.Contains("NOT EXISTS", unnamed, StringComparison.Ordinal);
        Assert.Contains("[UnindexedRanges]", unnamed, StringComparison.Ordinal);
        var named = db.StoredBlobs.WhereNamed(db).Select(b => b.Digest).ToQueryString();
        Assert.Contains("[BlobRanges]", named, StringComparison.Ordinal);
    }

    [Fact]
    public void Artifact_list_with_version_count_and_latest_translates()
    {
        using var db = MigrationsTests.ContextFor(DatabaseProvider.SqlServer);
        var projectId = Guid.NewGuid();
        var sql = ArtifactCatalog.Project(db, db.Artifacts.Where(a => a.ProjectId == projectId && a.Name.ToLower().Contains("corp")).OrderBy(a => a.Name))
            .Take(1000)
            .ToQueryString();
        Assert.Contains("[Artifacts]", sql, StringComparison.Ordinal);
        Assert.Contains("[Aliases]", sql, StringComparison.Ordinal);
        Assert.Contains("COUNT", sql, StringComparison.Ordinal);
    }

    [Fact]
    public void Alias_target_and_alias_at_time_translate()
    {
        using var db = MigrationsTests.ContextFor(DatabaseProvider.SqlServer);
        var artifactId = Guid.NewGuid();
        var target = VersionQueries.AliasTarget(db, artifactId, "production").ToQueryString();
        Assert.Contains("EXISTS", target, StringComparison.Ordinal);
        var at = ArtifactAliases.LastEventAt(db, artifactId, "production", DateTimeOffset.UtcNow).Select(e => e.ToVersionId).Take(1).ToQueryString();
        Assert.Contains("[AliasEvents]", at, StringComparison.Ordinal);
        Assert.Contains("ORDER BY", at, StringComparison.Ordinal);
    }

    [Fact]
    public void Version_page_by_keyset_translates()
    {
        using var db = MigrationsTests.ContextFor(DatabaseProvider.SqlServer);
        var artifactId = Guid.NewGuid();
        var sql = db.ArtifactVersions
            .Where(v => v.ArtifactId == artifactId && v.State == VersionState.Committed && v.Index < 40)
            .OrderByDescending(v => v.Index)
            .Take(51)
            .ToQueryString();
        Assert.Contains("[Index] <", sql, StringComparison.Ordinal);
    }
}
