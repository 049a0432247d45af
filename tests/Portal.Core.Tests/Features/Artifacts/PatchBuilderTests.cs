using CsCheck;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Artifacts.Manifests;
using Portal.Core.Tests.Features.Artifacts.Manifests;
using Portal.TestCommon;

namespace Portal.Core.Tests.Features.Artifacts;

/// <summary>
/// The incremental patch must give exactly the manifest a full rebuild gives — including where the patch adds or
/// removes range boundaries and where a range was cut by the 4,096-entry cap — while reading only touched ranges.
/// </summary>
public sealed class PatchBuilderTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    private static List<ManifestEntry> Base()
    {
        var entries = Enumerable.Range(0, 12_000).Select(i => TestManifests.Entry($"a/file-{i:D6}.txt")).ToList();
        // 5,000 paths that are never boundaries: the cap has to cut this stretch.
        entries.AddRange(Enumerable.Range(0, 40_000).Select(i => $"b/capped-{i:D6}.bin").Where(p => !ManifestCanonicalForm.IsRangeBoundary(p)).Take(5_000).Select(p => TestManifests.Entry(p)));
        entries.AddRange(Enumerable.Range(0, 3_000).Select(i => TestManifests.Entry($"c/tail-{i:D5}.json")));
        return entries;
    }

    private async Task<(ManifestSummary Summary, List<BuiltRange> Written)> PatchAsync(Guid baseId, ManifestPatch patch)
    {
        var written = new List<BuiltRange>();
        var summary = await PatchBuilder.BuildAsync(
            app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>(), baseId, patch,
            (range, _) => { written.Add(range); return ValueTask.CompletedTask; }, default);
        return (summary, written);
    }

    public static TheoryData<string> Cases() => ["modify", "add-boundary", "delete-boundary", "capped", "edges", "random"];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_patch_gives_the_same_manifest_as_a_full_rebuild(string kind)
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        var entries = Base();
        var baseId = await TestManifests.StoreCommittedVersionAsync(app.Services, team.Project.Id, "data", entries);
        var boundaryPaths = entries.Select(e => e.Path).Where(ManifestCanonicalForm.IsRangeBoundary).ToList();
        var random = new Random(kind.GetHashCode(StringComparison.Ordinal));
        var newBoundary = Enumerable.Range(0, 100_000).Select(i => $"a/file-{i % 12_000:D6}.txt.new{i}").First(ManifestCanonicalForm.IsRangeBoundary);
        var (upserts, deletes) = kind switch
        {
            "modify" => (new List<ManifestEntry> { TestManifests.Entry("a/file-000500.txt", "changed"), TestManifests.Entry("c/tail-00042.json", "changed") }, new List<string>()),
            "add-boundary" => ([TestManifests.Entry(newBoundary)], []),
            "delete-boundary" => ([], [boundaryPaths[3], boundaryPaths[7]]),
            "capped" => ([TestManifests.Entry("b/capped-000100.bin.inserted")], [entries.First(e => e.Path.StartsWith("b/", StringComparison.Ordinal)).Path]),
            "edges" => ([TestManifests.Entry("0-before-everything"), TestManifests.Entry("z/after-everything")], [entries[^1].Path]),
            _ => (Enumerable.Range(0, 30).Select(_ => entries[random.Next(entries.Count)].Path).Distinct().Take(20).Select(p => TestManifests.Entry(p, "r" + p))
                    .Concat(Enumerable.Range(0, 10).Select(i => TestManifests.Entry($"a/file-{random.Next(12_000):D6}.txt.extra{i}"))).ToList(),
                Enumerable.Range(0, 40).Select(_ => entries[random.Next(entries.Count)].Path).Distinct().Take(15).ToList()),
        };
        deletes = deletes.Where(d => upserts.All(u => u.Path != d)).ToList();
        var patch = new ManifestPatch(upserts, deletes);

        var expected = ManifestRangeBuilder.Build(patch.Apply(entries.OrderBy(e => e.Path, Utf8PathComparer.Instance)));
        var (actual, written) = await PatchAsync(baseId, patch);

        Assert.Equal(expected.Digest, actual.Digest);
        Assert.Equal(expected.RangeDigests, actual.RangeDigests);
        Assert.Equal(expected.FileCount, actual.FileCount);
        Assert.Equal(expected.TotalSize, actual.TotalSize);
        // Only ranges around the change are re-cut; everything else is reused by digest.
        Assert.True(written.Count <= 2 * (upserts.Count + deletes.Count) + 4, $"{written.Count} ranges re-cut for {upserts.Count + deletes.Count} changes");
    }

    [Fact]
    public async Task Deleting_a_path_the_base_lacks_is_refused()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        var baseId = await TestManifests.StoreCommittedVersionAsync(app.Services, team.Project.Id, "data", Base());
        var error = await Assert.ThrowsAsync<PortalException>(() => PatchAsync(baseId, new ManifestPatch([], ["a/nope.txt"])));
        Assert.Equal(Client.ErrorCodes.PatchPathMissing, error.Code);
    }

    /// <summary>
    /// A base of about 24,000 paths over a small alphabet ('.', '-' and ' ' sort before '/'), in some 25 ranges, with
    /// files such as "ab.bin.z" next to folders such as "ab/" and "ab.b/".
    /// </summary>
    private static List<string> PrefixRichBase()
    {
        var segments = new List<string>();
        const string alphabet = "ab.- ";
        foreach (var a in alphabet)
        {
            segments.Add($"{a}");
            foreach (var b in alphabet)
            {
                segments.Add($"{a}{b}");
                segments.AddRange(alphabet.Select(c => $"{a}{b}{c}"));
            }
        }
        segments.RemoveAll(s => s.Trim() != s || s is "." or "..");
        return segments.SelectMany(s1 => segments.Select(s2 => $"{s1}/{s2}").Append(s1 + ".bin.z")).ToList();
    }

    /// <summary>
    /// Upserts aimed at range edges, where a clash can hide in a range the patch appends unread: a file inside a
    /// range's last path or one of its prefixes, a folder of a range's first path made a file, and a file named like a
    /// prefix of a range's first path whose folder the range may hold.
    /// </summary>
    private static List<string> EdgeUpserts(IReadOnlyList<string> basePaths)
    {
        var ranges = new List<BuiltRange>();
        ManifestRangeBuilder.Build(basePaths.Order(Utf8PathComparer.Instance).Select(p => TestManifests.Entry(p)), ranges.Add);
        var files = basePaths.ToHashSet(StringComparer.Ordinal);
        var upserts = new List<string>();
        foreach (var range in ranges)
        {
            var last = range.LastPath;
            upserts.Add(last + "/n");
            upserts.AddRange(Enumerable.Range(1, last.Length - 1).Where(k => last[k] < '/' && files.Contains(last[..k])).Select(k => last[..k] + "/n"));
            var first = range.FirstPath;
            upserts.AddRange(Enumerable.Range(1, first.Length - 1).Where(k => first[k] == '/').Select(k => first[..k]));
            upserts.AddRange(Enumerable.Range(1, first.Length - 1).Where(k => first[k] < '/' && !files.Contains(first[..k])).Select(k => first[..k]));
        }
        return upserts.Where(ManifestPath.IsValid).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Untouched base ranges are appended unread, so a clash between an upsert and a path hidden in such a range is
    /// found through the range's entries; the result must match the definition on the patched set of paths.
    /// </summary>
    [Fact]
    public async Task A_patch_is_refused_exactly_when_its_result_has_a_file_that_is_also_a_folder()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        var factory = app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        var basePaths = PrefixRichBase();
        Assert.Null(PathConflictsTests.BruteForce(basePaths));
        var baseId = await TestManifests.StoreCommittedVersionAsync(app.Services, team.Project.Id, "tree", basePaths.Select(p => TestManifests.Entry(p)));
        var edges = EdgeUpserts(basePaths);
        var cases = Gen.Select(
            Gen.Int[0, edges.Count - 1].Array[0, 2].Select(picks => picks.Select(i => edges[i]).ToArray()),
            PathConflictsTests.SmallPath.Array[0, 2],
            Gen.Int[0, basePaths.Count - 1].Array[0, 2]);
        var outcomes = new List<bool>();
        await SeededProperty.CheckAsync(cases, 300, async input =>
        {
            var (edgePicks, randomPaths, deletePicks) = input;
            var upserts = edgePicks.Concat(randomPaths).Distinct(StringComparer.Ordinal).ToList();
            var deletes = deletePicks.Select(i => basePaths[i]).Distinct(StringComparer.Ordinal).Where(p => !upserts.Contains(p)).ToList();
            if (upserts.Count + deletes.Count == 0)
                return;
            var result = basePaths.Except(deletes).Union(upserts).ToList();
            var expected = PathConflictsTests.BruteForce(result);

            PortalException? error = null;
            try
            {
                await PatchBuilder.BuildAsync(factory, baseId, new ManifestPatch(upserts.Select(p => TestManifests.Entry(p, "new " + p)), deletes),
                    (_, _) => ValueTask.CompletedTask, default);
            }
            catch (PortalException ex) when (ex.Code == Client.ErrorCodes.PathConflict)
            {
                error = ex;
            }
            outcomes.Add(expected is not null);
            Assert.True((expected is not null) == (error is not null),
                $"upserts [{string.Join(", ", upserts)}], deletes [{string.Join(", ", deletes)}]: expected {(expected is null ? "no conflict" : $"a conflict like {expected}")}, got {error?.Message ?? "none"}");
        }, shrink: false);
        Assert.Contains(true, outcomes);
        Assert.Contains(false, outcomes);
    }
}
