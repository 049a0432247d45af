using System.Text;
using Portal.Client;
using Portal.Core.Features.Artifacts.Manifests;
using Xunit;

namespace Portal.Core.Tests.Features.Artifacts.Manifests;

/// <summary>
/// The literal digests below pin the manifest format. If one of these tests fails, the change broke every stored
/// version's digest: revert it, or introduce <c>portal-manifest-v2</c> deliberately.
/// </summary>
public class ManifestRangeBuilderTests
{
    // SHA-256("portal-manifest-v1\n"); checked with `printf 'portal-manifest-v1\n' | sha256sum`.
    private const string EmptyManifestDigest = "73a1058cd4980ed11a2300e8c4cb64a2d7b61813f15d55db80d9a2ced39b14c7";

    // ManifestVectors.Docs(): docs/file-00000.txt … docs/file-09999.txt, digest = SHA-256(path), size = index.
    // Computed once with this implementation and confirmed by an independent Python script and by NaiveBuild.
    private const string DocsManifestDigest = "71bf9b1779d964c276b6c9974dc543069076c881b687e41cc599e0f5a377877a";
    private const string DocsRange0Digest = "9912bdfae3856bfdb64ceed6e58dec8a1a47789e5b6e643c0fe16463471dc2b6";
    private const string DocsRange1Digest = "a9c7dff95bc54cca5bc2d1579b30a6a1ee4dbeb40e8963df7140281a2521f8e6";
    private const int DocsRangeCount = 15;

    // Index of the last entry of each range.
    private static readonly int[] DocsRangeEnds = [814, 965, 2282, 5611, 6565, 7132, 7466, 8051, 8195, 8812, 8915, 9030, 9106, 9492, 9999];

    [Fact]
    public void Empty_manifest_digest_is_the_hash_of_the_header()
    {
        var summary = ManifestRangeBuilder.Build([]);

        Assert.Equal(EmptyManifestDigest, summary.Digest);
        Assert.Equal(EmptyManifestDigest, ManifestCanonicalForm.EmptyManifestDigest);
        Assert.Equal(EmptyManifestDigest, ManifestVectors.Sha256Hex("portal-manifest-v1\n"));
        Assert.Equal(0, summary.FileCount);
        Assert.Equal(0, summary.TotalSize);
        Assert.Empty(summary.RangeDigests);
    }

    [Fact]
    public void Canonical_line_is_tab_separated_utf8_with_empty_ref_field()
    {
        var digest = ManifestVectors.Sha256Hex("a/b.txt");
        Assert.Equal("5550000d3b1cf1ff9d8ad3380f759f84f8abda4b5032ee735bdfef6766d6919f", digest);

        Assert.Equal(
            $"a/b.txt\t{digest}\t12\ts3://bucket/key\n",
            Encoding.UTF8.GetString(ManifestCanonicalForm.GetLine(new ManifestEntry("a/b.txt", digest, 12, "s3://bucket/key", "{\"ignored\":true}"))));
        Assert.Equal(
            Encoding.UTF8.GetBytes($"caf\u00E9.txt\t{digest}\t0\t\n"),
            ManifestCanonicalForm.GetLine(new ManifestEntry("caf\u00E9.txt", digest, 0)));
        // printf 'a/b.txt\t<digest>\t12\ts3://bucket/key\n' | sha256sum
        Assert.Equal(
            "d748faf496d65d82c2a970d0f8944afdb9774162de1c6b698d6f8194939c1cb1",
            ManifestCanonicalForm.ComputeRangeDigest([new ManifestEntry("a/b.txt", digest, 12, "s3://bucket/key")]));
    }

    [Fact]
    public void Docs_vector_has_pinned_ranges_and_digests()
    {
        var entries = ManifestVectors.Docs();
        var ranges = new List<BuiltRange>();

        var summary = ManifestRangeBuilder.Build(entries, ranges.Add);

        Assert.Equal(DocsManifestDigest, summary.Digest);
        Assert.Equal(DocsRangeCount, ranges.Count);
        Assert.Equal(DocsRange0Digest, ranges[0].Digest);
        Assert.Equal(DocsRange1Digest, ranges[1].Digest);
        Assert.Equal(DocsRangeEnds, RangeEnds(ranges));
        Assert.Equal(10_000, summary.FileCount);
        Assert.Equal(49_995_000, summary.TotalSize);
        Assert.Equal(ranges.Select(r => r.Digest), summary.RangeDigests);
        Assert.Equal(Enumerable.Range(0, DocsRangeCount), ranges.Select(r => r.Ordinal));
        Assert.Equal(("docs/file-00000.txt", "docs/file-00814.txt", 815), (ranges[0].FirstPath, ranges[0].LastPath, ranges[0].EntryCount));
        Assert.Equal(Enumerable.Range(0, 815).Sum(i => (long)i), ranges[0].TotalSize);
        Assert.Equal(entries, ranges.SelectMany(r => r.Entries));
    }

    [Fact]
    public void Docs_vector_agrees_with_a_naive_implementation_of_the_rules()
    {
        var entries = ManifestVectors.Docs();
        var naive = ManifestVectors.NaiveBuild(entries);
        var ranges = new List<BuiltRange>();

        var summary = ManifestRangeBuilder.Build(entries, ranges.Add);

        Assert.Equal(naive.ManifestDigest, summary.Digest);
        Assert.Equal(naive.RangeDigests, summary.RangeDigests);
        Assert.Equal(naive.Ranges.Select(r => r.Count), ranges.Select(r => r.EntryCount));
        Assert.Equal(DocsRange0Digest, ManifestCanonicalForm.ComputeRangeDigest(entries.Take(815)));
        Assert.Equal(DocsManifestDigest, ManifestCanonicalForm.ComputeManifestDigest(summary.RangeDigests));
        // Every range but the last ends on a content-defined boundary (none reaches the cap in this vector).
        Assert.All(ranges.SkipLast(1), r => Assert.True(ManifestVectors.NaiveIsBoundary(r.LastPath)));
        Assert.All(ranges, r => Assert.DoesNotContain(r.Entries.SkipLast(1), e => ManifestCanonicalForm.IsRangeBoundary(e.Path)));
    }

    [Fact]
    public void Unicode_vector_is_pinned()
    {
        // Sorted by UTF-8 bytes: note U+E000 before U+1F600, the opposite of UTF-16 order. No path here is a boundary.
        string[] paths = ["Z.txt", "a/b.txt", "a/\uE000.bin", "a/\U0001F600.png", "caf\u00E9/\u00DF.txt", "\u65E5\u672C/\u30C7\u30FC\u30BF.csv"];
        var entries = paths
            .Select((p, i) => new ManifestEntry(p, ManifestVectors.Sha256Hex(p), i * 1000L, p == "a/b.txt" ? "s3://bucket/b.txt" : null))
            .ToList();
        var ranges = new List<BuiltRange>();

        var summary = ManifestRangeBuilder.Build(entries, ranges.Add);

        var range = Assert.Single(ranges);
        Assert.Equal("fda05d4ce02eb87fa5b15805392a761a859dd8babe6ba25dafe9eb5cf3f616cf", range.Digest);
        Assert.Equal("ddf186f1a5b2c13f40427abdba9669fbc3d50dcbb68cbd5899aa59bebb659019", summary.Digest);
        Assert.Equal(ManifestVectors.NaiveBuild(entries).ManifestDigest, summary.Digest);
    }

    [Fact]
    public void A_range_is_cut_at_4096_entries_without_a_boundary()
    {
        var entries = Enumerable.Range(0, 20_000)
            .Select(i => $"nb/{i:D6}")
            .Where(p => !ManifestVectors.NaiveIsBoundary(p))
            .Take(10_000)
            .Select(p => new ManifestEntry(p, ManifestVectors.Sha256Hex(p), 1))
            .ToList();
        var ranges = new List<BuiltRange>();

        var summary = ManifestRangeBuilder.Build(entries, ranges.Add);

        Assert.Equal([4096, 4096, 1808], ranges.Select(r => r.EntryCount));
        Assert.Equal(ManifestVectors.NaiveBuild(entries).ManifestDigest, summary.Digest);
        Assert.Equal(4096, ManifestCanonicalForm.MaxRangeEntries);
    }

    [Fact]
    public void Add_returns_each_range_as_it_closes_and_Complete_returns_the_last()
    {
        var entries = ManifestVectors.Docs(1000);
        using var builder = new ManifestRangeBuilder();
        var closedAt = new List<int>();

        for (var i = 0; i < entries.Count; i++)
        {
            if (builder.Add(entries[i]) is { } range)
            {
                closedAt.Add(i);
                Assert.Equal(entries[i].Path, range.LastPath);
            }
        }
        var (finalRange, summary) = builder.Complete();

        Assert.Equal([814, 965], closedAt);
        Assert.NotNull(finalRange);
        Assert.Equal(("docs/file-00966.txt", "docs/file-00999.txt"), (finalRange.FirstPath, finalRange.LastPath));
        Assert.Equal(3, summary.RangeDigests.Count);
        Assert.Throws<InvalidOperationException>(() => builder.Add(new ManifestEntry("zzz", entries[0].Digest, 1)));
    }

    [Fact]
    public void Complete_without_a_partial_range_returns_no_final_range()
    {
        using var builder = new ManifestRangeBuilder();
        foreach (var entry in ManifestVectors.Docs(815))
            builder.Add(entry);

        var (finalRange, summary) = builder.Complete();

        Assert.Null(finalRange);
        Assert.Equal([DocsRange0Digest], summary.RangeDigests);
    }

    [Fact]
    public async Task BuildAsync_matches_Build_and_awaits_each_range()
    {
        var stored = new List<string>();

        var summary = await ManifestRangeBuilder.BuildAsync(
            ManifestVectors.Docs().ToAsyncEnumerable(),
            async (range, ct) =>
            {
                await Task.Yield();
                stored.Add(range.Digest);
            });

        Assert.Equal(DocsManifestDigest, summary.Digest);
        Assert.Equal(summary.RangeDigests, stored);
    }

    [Fact]
    public void Changing_one_file_rewrites_one_range()
    {
        var before = ManifestRangeBuilder.Build(ManifestVectors.Docs());
        var changed = ManifestVectors.Docs();
        changed[5000] = changed[5000] with { Digest = ManifestVectors.Sha256Hex("new content"), Size = 1 };
        var removed = ManifestVectors.Docs();
        removed.RemoveAt(7000);

        var afterChange = ManifestRangeBuilder.Build(changed);
        var afterRemove = ManifestRangeBuilder.Build(removed);

        Assert.NotEqual(before.Digest, afterChange.Digest);
        Assert.Equal([3], DifferingIndexes(before.RangeDigests, afterChange.RangeDigests));
        Assert.Equal([5], DifferingIndexes(before.RangeDigests, afterRemove.RangeDigests));
    }

    [Fact]
    public void Extra_does_not_change_digests()
    {
        var plain = ManifestVectors.Docs(100);
        var withExtra = plain.Select(e => e with { ExtraJson = "{\"label\":\"cat\"}" });

        Assert.Equal(ManifestRangeBuilder.Build(plain).Digest, ManifestRangeBuilder.Build(withExtra).Digest);
    }

    [Fact]
    public void Unsorted_input_is_400_manifest_unsorted()
    {
        var entries = ManifestVectors.Docs(3);
        (entries[1], entries[2]) = (entries[2], entries[1]);

        var error = Assert.Throws<PortalException>(() => ManifestRangeBuilder.Build(entries));

        Assert.Equal((400, ErrorCodes.ManifestUnsorted), (error.Status, error.Code));
        Assert.Contains("docs/file-00001.txt", error.Message, StringComparison.Ordinal);
        Assert.Contains("docs/file-00002.txt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Utf16_order_is_unsorted_for_the_builder()
    {
        var digest = ManifestVectors.Sha256Hex("x");
        // string.CompareOrdinal order puts the emoji first; byte order does not.
        ManifestEntry[] utf16Order = [new("\U0001F600", digest, 1), new("\uE000", digest, 1)];

        Assert.Equal(ErrorCodes.ManifestUnsorted, Assert.Throws<PortalException>(() => ManifestRangeBuilder.Build(utf16Order)).Code);
        ManifestRangeBuilder.Build(utf16Order.Reverse());
    }

    [Fact]
    public void Duplicate_path_is_400_path_duplicate()
    {
        var entries = ManifestVectors.Docs(3);
        entries.Insert(2, entries[1]);

        var error = Assert.Throws<PortalException>(() => ManifestRangeBuilder.Build(entries));

        Assert.Equal((400, ErrorCodes.PathDuplicate), (error.Status, error.Code));
        Assert.Equal("docs/file-00001.txt", error.Extensions["path"]);
        Assert.Contains("docs/file-00001.txt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_entries_are_rejected()
    {
        var digest = ManifestVectors.Sha256Hex("x");

        Assert.Equal(ErrorCodes.PathInvalid, Assert.Throws<PortalException>(() => ManifestRangeBuilder.Build([new("a/../b", digest, 1)])).Code);
        Assert.Equal(ErrorCodes.DigestInvalid, Assert.Throws<PortalException>(() => ManifestRangeBuilder.Build([new("a", "abc", 1)])).Code);
        Assert.Equal(ErrorCodes.SizeInvalid, Assert.Throws<PortalException>(() => ManifestRangeBuilder.Build([new("a", digest, -5)])).Code);
        Assert.Equal(ErrorCodes.SizeInvalid, Assert.Throws<PortalException>(() => ManifestRangeBuilder.Build([new("a", digest, long.MaxValue), new("b", digest, 1)])).Code);
    }

    private static List<int> RangeEnds(IEnumerable<BuiltRange> ranges)
    {
        var ends = new List<int>();
        var index = -1;
        foreach (var range in ranges)
        {
            index += range.EntryCount;
            ends.Add(index);
        }
        return ends;
    }

    private static List<int> DifferingIndexes(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        Assert.Equal(a.Count, b.Count);
        return Enumerable.Range(0, a.Count).Where(i => a[i] != b[i]).ToList();
    }
}
