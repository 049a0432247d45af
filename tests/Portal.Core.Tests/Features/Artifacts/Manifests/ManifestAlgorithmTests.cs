using Portal.Client.Manifests;
using Portal.Client.Models;
using Portal.Core.Features.Artifacts.Manifests;

namespace Portal.Core.Tests.Features.Artifacts.Manifests;

/// <summary>The SDK's manifest digest (what clients compute to skip unchanged uploads) must equal the portal's.</summary>
public sealed class ManifestAlgorithmTests
{
    private static ManifestEntryModel ToModel(ManifestEntry e) => new(e.Path, e.Digest, e.Size, e.Ref);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5_000)]
    [InlineData(10_000)]
    public void Client_digest_equals_the_portal_digest_in_any_input_order(int count)
    {
        var sorted = ManifestVectors.Docs(count);
        var portal = ManifestRangeBuilder.Build(sorted).Digest;
        var shuffled = sorted.Select(ToModel).ToArray();
        new Random(count).Shuffle(shuffled);

        Assert.Equal(portal, ManifestAlgorithm.ComputeManifestDigest(shuffled));
        Assert.Equal(ManifestVectors.NaiveBuild(sorted).ManifestDigest, ManifestAlgorithm.ComputeManifestDigest(shuffled));
    }

    [Fact]
    public void References_and_non_ascii_paths_hash_alike_on_both_sides()
    {
        var entries = new List<ManifestEntry>
        {
            new("z/日本語.txt", ManifestVectors.Sha256Hex("a"), 3, null, null),
            new("a/😀.bin", ManifestVectors.Sha256Hex("b"), 7, "s3://bucket/key", null),
            new("a/\uE000.bin", ManifestVectors.Sha256Hex("c"), 0, null, null),
        };
        var sorted = entries.Order(Comparer<ManifestEntry>.Create((x, y) => Utf8PathComparer.Instance.Compare(x.Path, y.Path))).ToList();

        Assert.Equal(ManifestRangeBuilder.Build(sorted).Digest, ManifestAlgorithm.ComputeManifestDigest(entries.Select(ToModel)));
    }

    [Fact]
    public void Duplicate_paths_are_refused()
    {
        var digest = ManifestVectors.Sha256Hex("x");
        Assert.Throws<ArgumentException>(() => ManifestAlgorithm.ComputeManifestDigest([new("a", digest, 1), new("a", digest, 1)]));
    }
}
