using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Client;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Artifacts.Manifests;
using Portal.TestCommon;

namespace Portal.Core.Tests.Features.Artifacts;

public abstract class VersionReadingTests(PortalApp app)
{
    /// <summary>A tree with folders that span several ranges, folders inside ranges, and files at every level.</summary>
    private static List<ManifestEntry> Tree()
    {
        var entries = new List<ManifestEntry> { TestManifests.Entry("README.md"), TestManifests.Entry("z-last.txt") };
        for (var f = 0; f < 30; f++)
        {
            for (var i = 0; i < (f == 7 ? 5000 : 40); i++)
                entries.Add(TestManifests.Entry($"docs/folder-{f:D2}/part-{i:D5}.jsonl"));
        }

        entries.Add(TestManifests.Entry("docs/index.json"));
        entries.Add(TestManifests.Entry("docs/folder-07/deeper/x.txt"));
        entries.Add(TestManifests.Entry("emoji/\U0001F600.txt"));
        entries.Add(TestManifests.Entry("emoji/\uE000.txt"));
        return entries;
    }

    private async Task<(TestProject Team, Guid VersionId, List<ManifestEntry> Entries)> StoreTreeAsync()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        var entries = Tree();
        var id = await TestManifests.StoreCommittedVersionAsync(app.Services, team.Project.Id, "corpus", entries);
        return (team, id, entries);
    }

    /// <summary>The listing a naive full scan gives, to check the seeking one against.</summary>
    private static List<string> Expected(IEnumerable<ManifestEntry> entries, string prefix) =>
        entries.Select(e => e.Path)
            .Where(p => p.StartsWith(prefix, StringComparison.Ordinal))
            .Select(p =>
            {
                var rest = p[prefix.Length..];
                var slash = rest.IndexOf('/', StringComparison.Ordinal);
                return slash < 0 ? p : prefix + rest[..(slash + 1)];
            })
            .Distinct()
            .OrderBy(p => p, Utf8PathComparer.Instance)
            .ToList();

    [SkippableTheory]
    [InlineData("", 1000)]
    [InlineData("", 2)]
    [InlineData("docs", 7)]
    [InlineData("docs/folder-07/", 333)]
    [InlineData("docs/folder-07/", 1000)]
    [InlineData("emoji/", 1)]
    public async Task Listing_page_by_page_matches_a_full_scan(string folder, int limit)
    {
        app.SkipIfUnavailable();
        var (team, versionId, entries) = await StoreTreeAsync();
        var files = app.Services.GetRequiredService<VersionFiles>();
        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await files.ListAsync(team.Admin.Principal, team.Slug, versionId, folder, token, limit);
            Assert.True(page.Items.Count <= limit);
            seen.AddRange(page.Items.Select(i => i.Path));
            token = page.ContinuationToken;
            Assert.True(++pages < 10_000);
        }
        while (token is not null);

        var prefix = VersionFiles.NormaliseFolder(folder);
        Assert.Equal(Expected(entries, prefix), seen);
    }

    [SkippableFact]
    public async Task A_folder_of_many_large_subfolders_lists_like_a_full_scan()
    {
        app.SkipIfUnavailable();
        // Subfolders of uneven sizes (some under one seek window, some across ranges), a nested folder and files
        // between them: listing hops from subfolder to subfolder, seeking with marks and windows read ahead.
        var entries = new List<ManifestEntry> { TestManifests.Entry("big/aaa.txt"), TestManifests.Entry("big/sub-040.txt"), TestManifests.Entry("big0.txt") };
        for (var s = 0; s < 80; s++)
        {
            for (var i = 0; i < (s % 9 == 4 ? 3 : 70 + (s * 53 % 600)); i++)
                entries.Add(TestManifests.Entry($"big/sub-{s:D3}/f-{i:D4}.bin"));
        }

        entries.Add(TestManifests.Entry("big/sub-017/deeper/x.txt"));
        var team = await app.Data.CreateProjectWithTeamAsync();
        var versionId = await TestManifests.StoreCommittedVersionAsync(app.Services, team.Project.Id, "hops", entries);
        var files = app.Services.GetRequiredService<VersionFiles>();
        foreach (var limit in new[] { 1000, 37 })
        {
            var seen = new List<string>();
            string? token = null;
            do
            {
                var page = await files.ListAsync(team.Admin.Principal, team.Slug, versionId, "big", token, limit);
                seen.AddRange(page.Items.Select(i => i.Path));
                token = page.ContinuationToken;
            }
            while (token is not null);

            Assert.Equal(Expected(entries, "big/"), seen);
        }

        var nested = await files.ListAsync(team.Admin.Principal, team.Slug, versionId, "big/sub-017", null, 1000);
        Assert.Equal(Expected(entries, "big/sub-017/"), nested.Items.Select(i => i.Path));
    }

    [SkippableTheory]
    [InlineData("stored")]
    [InlineData("none")]
    [InlineData("every other range")]
    public async Task Listings_match_a_full_scan_whatever_folder_summaries_the_ranges_have(string summaries)
    {
        app.SkipIfUnavailable();
        // Subfolders only (summaries answer), files between subfolders (entries answer), and a folder of one-file
        // subfolders too wide to summarise; ranges stored before summaries existed have none.
        // Contents unique to the case: ranges are shared by digest, and another case clears summaries.
        ManifestEntry Entry(string path) => TestManifests.Entry(path, $"{summaries}:{path}");
        var entries = new List<ManifestEntry> { Entry("top.txt") };
        for (var s = 0; s < 120; s++)
        {
            for (var i = 0; i < 15 + (s * 37 % 90); i++)
                entries.Add(Entry($"shards/s-{s:D3}/f-{i:D3}.json"));
            if (s % 25 == 3)
                entries.Add(Entry($"shards/s-{s:D3}.txt"));
        }

        for (var w = 0; w < 2500; w++)
            entries.Add(Entry($"wide/d-{w:D4}/only.bin"));
        var team = await app.Data.CreateProjectWithTeamAsync();
        var versionId = await TestManifests.StoreCommittedVersionAsync(app.Services, team.Project.Id, "summaries", entries);
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync())
        {
            var ranges = await db.VersionRanges.Where(r => r.VersionId == versionId).OrderBy(r => r.Ordinal).Select(r => r.RangeDigest).ToListAsync();
            var stored = await db.ManifestRanges.Where(r => ranges.Contains(r.Digest)).ToListAsync();
            Assert.Contains(stored, r => r.Folders is not null);
            Assert.Contains(stored, r => r.Folders is null); // the wide folder's ranges
            var cleared = summaries switch
            {
                "none" => ranges,
                "every other range" => ranges.Where((_, i) => i % 2 == 1).ToList(),
                _ => [],
            };
            await db.ManifestRanges.Where(r => cleared.Contains(r.Digest)).ExecuteUpdateAsync(u => u.SetProperty(r => r.Folders, (string?)null));
        }

        var files = app.Services.GetRequiredService<VersionFiles>();
        foreach (var (folder, limit) in new[] { ("", 1000), ("shards", 1000), ("shards", 7), ("shards", 1), ("wide", 1000), ("wide", 333), ("shards/s-028", 10) })
        {
            var seen = new List<string>();
            string? token = null;
            do
            {
                var page = await files.ListAsync(team.Admin.Principal, team.Slug, versionId, folder, token, limit);
                Assert.True(page.Items.Count <= limit);
                seen.AddRange(page.Items.Select(i => i.Path));
                token = page.ContinuationToken;
            }
            while (token is not null);

            Assert.Equal(Expected(entries, VersionFiles.NormaliseFolder(folder)), seen);
        }
    }

    [SkippableFact]
    public async Task Files_carry_digest_and_size_and_folders_end_with_a_slash()
    {
        app.SkipIfUnavailable();
        var (team, versionId, _) = await StoreTreeAsync();
        var page = await app.Services.GetRequiredService<VersionFiles>().ListAsync(team.Viewer.Principal, team.Slug, versionId, "", null, 100);
        var readme = page.Items.Single(i => i.Path == "README.md");
        Assert.Equal("file", readme.Kind);
        Assert.Equal(TestManifests.DigestOf("README.md"), readme.Digest);
        Assert.Equal(9, readme.Size);
        var docs = page.Items.Single(i => i.Path == "docs/");
        Assert.Equal("folder", docs.Kind);
        Assert.Equal("docs", docs.Name);
        Assert.Null(page.ContinuationToken);
    }

    [SkippableFact]
    public async Task Listing_refuses_bad_input_and_strangers()
    {
        app.SkipIfUnavailable();
        var (team, versionId, _) = await StoreTreeAsync();
        var files = app.Services.GetRequiredService<VersionFiles>();
        var bad = await Assert.ThrowsAsync<PortalException>(() => files.ListAsync(team.Viewer.Principal, team.Slug, versionId, "../etc", null, 10));
        Assert.Equal(ErrorCodes.PathInvalid, bad.Code);
        var token = await Assert.ThrowsAsync<PortalException>(() => files.ListAsync(team.Viewer.Principal, team.Slug, versionId, "", "%%%", 10));
        Assert.Equal(ErrorCodes.ContinuationInvalid, token.Code);
        var limit = await Assert.ThrowsAsync<PortalException>(() => files.ListAsync(team.Viewer.Principal, team.Slug, versionId, "", null, 0));
        Assert.Equal(ErrorCodes.LimitInvalid, limit.Code);
        var stranger = await app.Data.CreateUserAsync();
        var hidden = await Assert.ThrowsAsync<PortalException>(() => files.ListAsync(stranger.Principal, team.Slug, versionId, "", null, 10));
        Assert.Equal(404, hidden.Status);
        var other = await app.Data.CreateProjectWithTeamAsync();
        var elsewhere = await Assert.ThrowsAsync<PortalException>(() => files.ListAsync(other.Admin.Principal, other.Slug, versionId, "", null, 10));
        Assert.Equal(ErrorCodes.VersionNotFound, elsewhere.Code);
    }

    [SkippableFact]
    public async Task Diff_finds_added_removed_modified_and_renamed_and_skips_shared_ranges()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var before = Tree();
        before.AddRange(Enumerable.Range(0, 20_000).Select(i => TestManifests.Entry($"bulk/item-{i:D5}.bin")));
        var after = before.Where(e => e.Path != "docs/folder-03/part-00001.jsonl" && e.Path != "docs/folder-20/part-00002.jsonl").ToList();
        after[after.FindIndex(e => e.Path == "docs/folder-07/part-02500.jsonl")] = TestManifests.Entry("docs/folder-07/part-02500.jsonl", "changed");
        after.Add(TestManifests.Entry("docs/new-file.txt"));
        // Renamed: the bytes of folder-20/part-00002 under a new path.
        after.Add(new ManifestEntry("moved/part-00002.jsonl", TestManifests.DigestOf("docs/folder-20/part-00002.jsonl"), 31));
        var v0 = await TestManifests.StoreCommittedVersionAsync(app.Services, team.Project.Id, "corpus", before);
        var v1 = await TestManifests.StoreCommittedVersionAsync(app.Services, team.Project.Id, "corpus", after);

        var diff = await app.Services.GetRequiredService<VersionDiff>().DiffAsync(team.Viewer.Principal, team.Slug, v0, team.Slug, v1, null, null, 100);
        Assert.Equal(1, diff.Summary.Added);
        Assert.Equal(1, diff.Summary.Removed);
        Assert.Equal(1, diff.Summary.Modified);
        Assert.Equal(1, diff.Summary.Renamed);
        // Five changes touch at most five ranges a side; the other ~20 ranges are never read.
        Assert.True(diff.Summary.ComparedRanges <= 10, $"compared {diff.Summary.ComparedRanges} ranges");
        Assert.True(diff.Summary.SharedRanges >= 15, $"shared {diff.Summary.SharedRanges} ranges");
        Assert.Contains(diff.Items, i => i is { Change: "removed", Path: "docs/folder-03/part-00001.jsonl" });
        Assert.Contains(diff.Items, i => i is { Change: "modified", Path: "docs/folder-07/part-02500.jsonl" });
        Assert.Contains(diff.Items, i => i is { Change: "renamed", Path: "moved/part-00002.jsonl", OldPath: "docs/folder-20/part-00002.jsonl" });
        Assert.Equal(diff.Items.Select(i => i.Path).OrderBy(p => p, Utf8PathComparer.Instance), diff.Items.Select(i => i.Path));

        var page1 = await app.Services.GetRequiredService<VersionDiff>().DiffAsync(team.Viewer.Principal, team.Slug, v0, team.Slug, v1, null, null, 3);
        var page2 = await app.Services.GetRequiredService<VersionDiff>().DiffAsync(team.Viewer.Principal, team.Slug, v0, team.Slug, v1, null, page1.ContinuationToken, 3);
        Assert.Equal(diff.Items.Select(i => i.Path), page1.Items.Concat(page2.Items).Select(i => i.Path));
        Assert.Null(page2.ContinuationToken);
        var onlyAdded = await app.Services.GetRequiredService<VersionDiff>().DiffAsync(team.Viewer.Principal, team.Slug, v0, team.Slug, v1, "added", null, 100);
        Assert.All(onlyAdded.Items, i => Assert.Equal("added", i.Change));

        var same = await app.Services.GetRequiredService<VersionDiff>().DiffAsync(team.Viewer.Principal, team.Slug, v1, team.Slug, v1, null, null, 100);
        Assert.Empty(same.Items);
        Assert.Equal(0, same.Summary.ComparedRanges);

        // Shared counts the older version's ranges found in the newer one; compared counts the unshared ranges of both
        // sides. Shared plus compared is every distinct range, never fewer than one version's own.
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync())
        {
            var v0Ranges = await db.VersionRanges.CountAsync(r => r.VersionId == v0);
            var v1Ranges = await db.VersionRanges.CountAsync(r => r.VersionId == v1);
            Assert.Equal(v1Ranges, same.Summary.SharedRanges);
            Assert.True(diff.Summary.SharedRanges <= Math.Min(v0Ranges, v1Ranges));
            Assert.True(diff.Summary.SharedRanges + diff.Summary.ComparedRanges >= Math.Max(v0Ranges, v1Ranges));
            Assert.True(diff.Summary.SharedRanges + diff.Summary.ComparedRanges <= v0Ranges + v1Ranges);
        }
    }

    [SkippableFact]
    public async Task Reverse_look_ups_find_versions_by_blob_and_by_path_for_members_only()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var unique = $"unique-{Guid.NewGuid():N}";
        var v0 = await TestManifests.StoreCommittedVersionAsync(app.Services, team.Project.Id, "docs", [TestManifests.Entry("a.txt", unique), TestManifests.Entry("b.txt")]);
        var v1 = await TestManifests.StoreCommittedVersionAsync(app.Services, team.Project.Id, "docs", [TestManifests.Entry("renamed.txt", unique), TestManifests.Entry("b.txt")]);
        var lookups = app.Services.GetRequiredService<ContainingVersions>();

        var byDigest = await lookups.WithDigestAsync(team.Viewer.Principal, TestManifests.DigestOf(unique));
        Assert.Equal(new[] { v0, v1 }.Order(), byDigest.Select(v => v.VersionId).Order());
        Assert.Contains(byDigest, v => v.VersionId == v1 && v.Path == "renamed.txt");
        var stranger = await app.Data.CreateUserAsync();
        Assert.Empty(await lookups.WithDigestAsync(stranger.Principal, TestManifests.DigestOf(unique)));

        var byPath = await lookups.WithPathAsync(team.Viewer.Principal, team.Slug, "a.txt", null);
        Assert.Equal(v0, Assert.Single(byPath).VersionId);
        Assert.Equal(2, (await lookups.WithPathAsync(team.Viewer.Principal, team.Slug, "b.txt", "docs")).Count);
        Assert.Empty(await lookups.WithPathAsync(team.Viewer.Principal, team.Slug, "A.TXT", null));
        var invalid = await Assert.ThrowsAsync<PortalException>(() => lookups.WithDigestAsync(team.Viewer.Principal, "not-a-digest"));
        Assert.Equal(ErrorCodes.DigestInvalid, invalid.Code);
    }
}

public sealed class VersionReadingTests_Sqlite(SqliteApp app) : VersionReadingTests(app), IClassFixture<SqliteApp>;

public sealed class VersionReadingTests_Postgres(PostgresApp app) : VersionReadingTests(app), IClassFixture<PostgresApp>;

public sealed class VersionReadingTests_SqlServer(SqlServerApp app) : VersionReadingTests(app), IClassFixture<SqlServerApp>;
