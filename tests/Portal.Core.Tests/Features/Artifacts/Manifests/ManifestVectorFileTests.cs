using System.Text.Json;
using Portal.Client.Manifests;
using Portal.Client.Models;
using Portal.Core.Features.Artifacts.Manifests;

namespace Portal.Core.Tests.Features.Artifacts.Manifests;

/// <summary>
/// <c>tests/manifest-vectors.json</c> is the one vector file every client's tests read (the Python client's
/// <c>test_manifest_vectors.py</c> too): the portal's range builder and the SDK's algorithm must both give its digests.
/// </summary>
public sealed class ManifestVectorFileTests
{
    private static JsonDocument Load()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Portal.sln")))
            dir = dir.Parent;
        var path = Path.Combine(dir?.FullName ?? throw new InvalidOperationException("Portal.sln not found above the test folder"), "tests", "manifest-vectors.json");
        return JsonDocument.Parse(File.ReadAllText(path));
    }

    public static TheoryData<string> VectorNames()
    {
        using var doc = Load();
        var names = new TheoryData<string>();
        foreach (var vector in doc.RootElement.GetProperty("vectors").EnumerateArray())
            names.Add(vector.GetProperty("name").GetString()!);
        return names;
    }

    /// <summary>The entries of a vector: listed, or made by one of the generators the file describes.</summary>
    private static List<ManifestEntry> Entries(JsonElement vector)
    {
        if (vector.TryGetProperty("generator", out var generator))
        {
            var count = generator.GetProperty("count").GetInt32();
            return generator.GetProperty("kind").GetString() switch
            {
                "docs" => ManifestVectors.Docs(count),
                "no-boundary" => Enumerable.Range(0, int.MaxValue)
                    .Select(i => $"nb/{i:D6}")
                    .Where(p => !ManifestVectors.NaiveIsBoundary(p))
                    .Take(count)
                    .Select(p => new ManifestEntry(p, ManifestVectors.Sha256Hex(p), 1))
                    .ToList(),
                var kind => throw new InvalidOperationException($"unknown generator {kind}"),
            };
        }
        return vector.GetProperty("entries").EnumerateArray()
            .Select(e => new ManifestEntry(
                e.GetProperty("path").GetString()!,
                e.GetProperty("digest").GetString()!,
                e.GetProperty("size").GetInt64(),
                e.TryGetProperty("ref", out var r) ? r.GetString() : null))
            .ToList();
    }

    [Theory]
    [MemberData(nameof(VectorNames))]
    public void Portal_and_sdk_give_the_vectors_digests(string name)
    {
        using var doc = Load();
        var vector = doc.RootElement.GetProperty("vectors").EnumerateArray().Single(v => v.GetProperty("name").GetString() == name);
        var entries = Entries(vector);
        var sorted = entries.Order(Comparer<ManifestEntry>.Create((x, y) => Utf8PathComparer.Instance.Compare(x.Path, y.Path))).ToList();
        var ranges = new List<BuiltRange>();

        var summary = ManifestRangeBuilder.Build(sorted, ranges.Add);

        var expected = vector.GetProperty("manifestDigest").GetString();
        Assert.Equal(expected, summary.Digest);
        Assert.Equal(vector.GetProperty("rangeDigests").EnumerateArray().Select(d => d.GetString()), summary.RangeDigests);
        Assert.Equal(vector.GetProperty("rangeEntryCounts").EnumerateArray().Select(c => c.GetInt32()), ranges.Select(r => r.EntryCount));
        Assert.Equal(expected, ManifestAlgorithm.ComputeManifestDigest(entries.Select(e => new ManifestEntryModel(e.Path, e.Digest, e.Size, e.Ref))));
    }
}
