using Portal.Client;
using Portal.Core.Features.Artifacts.Manifests;
using Xunit;

namespace Portal.Core.Tests.Features.Artifacts.Manifests;

public class ManifestPatchTests
{
    private static readonly string DigestA = ManifestVectors.Sha256Hex("a");
    private static readonly string DigestB = ManifestVectors.Sha256Hex("b");

    private static readonly List<ManifestEntry> Base =
    [
        new("b.txt", DigestA, 1),
        new("d/1.txt", DigestA, 2),
        new("d/2.txt", DigestA, 3),
        new("f.txt", DigestA, 4),
    ];

    [Fact]
    public void Upserts_replace_and_insert_deletes_remove_in_sorted_order()
    {
        var patch = new ManifestPatch(
            upserts:
            [
                new("z.txt", DigestB, 10),      // after everything
                new("d/1.txt", DigestB, 20),    // replace
                new("a.txt", DigestB, 30),      // before everything
                new("d/10.txt", DigestB, 40),   // between
            ],
            deletes: ["f.txt", "b.txt"]);

        var result = patch.Apply(Base).ToList();

        Assert.Equal(
            [
                new ManifestEntry("a.txt", DigestB, 30),
                new ManifestEntry("d/1.txt", DigestB, 20),
                new ManifestEntry("d/10.txt", DigestB, 40),
                new ManifestEntry("d/2.txt", DigestA, 3),
                new ManifestEntry("z.txt", DigestB, 10),
            ],
            result);
        Assert.Equal(["a.txt", "d/1.txt", "d/10.txt", "z.txt"], patch.Upserts.Select(e => e.Path));
        Assert.Equal(["b.txt", "f.txt"], patch.Deletes);
    }

    [Fact]
    public async Task ApplyAsync_matches_Apply()
    {
        var patch = new ManifestPatch([new("c.txt", DigestB, 5)], ["d/2.txt"]);

        var result = await patch.ApplyAsync(Base.ToAsyncEnumerable()).ToListAsync();

        Assert.Equal(patch.Apply(Base), result);
        Assert.Equal(["b.txt", "c.txt", "d/1.txt", "f.txt"], result.Select(e => e.Path));
    }

    [Fact]
    public void Empty_patch_and_empty_base()
    {
        var empty = new ManifestPatch([], []);
        Assert.True(empty.IsEmpty);
        Assert.Equal(Base, empty.Apply(Base));

        var insertOnly = new ManifestPatch([new("x", DigestA, 1)], []);
        Assert.Equal([new ManifestEntry("x", DigestA, 1)], insertOnly.Apply([]));
    }

    [Theory]
    [InlineData("a.txt")]     // before the first base entry
    [InlineData("c.txt")]     // between base entries
    [InlineData("zzz.txt")]   // after the last
    public void Deleting_a_missing_path_is_400_patch_path_missing(string path)
    {
        var patch = new ManifestPatch([], [path]);

        var error = Assert.Throws<PortalException>(() => patch.Apply(Base).ToList());

        Assert.Equal((400, ErrorCodes.PatchPathMissing), (error.Status, error.Code));
        Assert.Equal(path, error.Extensions["path"]);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicates_within_the_patch_are_400_path_duplicate()
    {
        Assert.Equal("a", Duplicate(() => new ManifestPatch([new("a", DigestA, 1), new("b", DigestA, 1), new("a", DigestB, 2)], [])));
        Assert.Equal("b.txt", Duplicate(() => new ManifestPatch([], ["b.txt", "d/1.txt", "b.txt"])));
        Assert.Equal("b.txt", Duplicate(() => new ManifestPatch([new("b.txt", DigestB, 1)], ["b.txt"])));

        static object? Duplicate(Func<ManifestPatch> create)
        {
            var error = Assert.Throws<PortalException>(() => create());
            Assert.Equal((400, ErrorCodes.PathDuplicate), (error.Status, error.Code));
            return error.Extensions["path"];
        }
    }

    [Fact]
    public void Patch_paths_are_validated()
    {
        Assert.Equal(ErrorCodes.PathInvalid, Assert.Throws<PortalException>(() => new ManifestPatch([new("../a", DigestA, 1)], [])).Code);
        Assert.Equal(ErrorCodes.PathInvalid, Assert.Throws<PortalException>(() => new ManifestPatch([], ["/abs"])).Code);
        Assert.Equal(ErrorCodes.DigestInvalid, Assert.Throws<PortalException>(() => new ManifestPatch([new("a", "nothex", 1)], [])).Code);
    }

    [Fact]
    public void Unsorted_base_is_detected()
    {
        var patch = new ManifestPatch([], []);
        List<ManifestEntry> unsorted = [Base[1], Base[0]];

        Assert.Equal(ErrorCodes.ManifestUnsorted, Assert.Throws<PortalException>(() => patch.Apply(unsorted).ToList()).Code);
    }

    [Fact]
    public void Patching_a_large_version_changes_only_the_touched_ranges()
    {
        var baseEntries = ManifestVectors.Docs();
        var before = ManifestRangeBuilder.Build(baseEntries);
        var patch = new ManifestPatch(
            [baseEntries[5000] with { Digest = DigestB }, new("docs/file-05000a.txt", DigestB, 1)],
            ["docs/file-05001.txt"]);

        var after = ManifestRangeBuilder.Build(patch.Apply(baseEntries));

        Assert.Equal(before.RangeDigests.Count, after.RangeDigests.Count);
        Assert.Single(before.RangeDigests.Except(after.RangeDigests));
        Assert.Equal(10_000, after.FileCount);
    }
}
