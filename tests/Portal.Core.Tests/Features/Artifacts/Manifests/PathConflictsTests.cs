using CsCheck;
using Portal.Client;
using Portal.Core.Features.Artifacts.Manifests;
using Portal.TestCommon;

namespace Portal.Core.Tests.Features.Artifacts.Manifests;

/// <summary>A file that is also a folder of another path cannot be checked out; the range builder refuses it.</summary>
public class PathConflictsTests
{
    /// <summary>The clash by definition: some path starts with another path followed by '/'.</summary>
    internal static (string File, string Inside)? BruteForce(IReadOnlyCollection<string> paths)
    {
        var set = new HashSet<string>(paths, StringComparer.Ordinal);
        foreach (var path in paths)
        {
            for (var i = path.IndexOf('/', StringComparison.Ordinal); i > 0; i = path.IndexOf('/', i + 1))
            {
                if (set.Contains(path[..i]))
                    return (path[..i], path);
            }
        }
        return null;
    }

    private static PortalException? Build(IEnumerable<string> paths)
    {
        var sorted = paths.Distinct(StringComparer.Ordinal).Order(Utf8PathComparer.Instance).Select(p => TestManifests.Entry(p)).ToList();
        try
        {
            ManifestRangeBuilder.Build(sorted);
            return null;
        }
        catch (PortalException ex) when (ex.Code == ErrorCodes.PathConflict)
        {
            return ex;
        }
    }

    [Theory]
    [InlineData("q", "q/b")]
    [InlineData("q", "q.txt", "q-1", "q/b")]
    [InlineData("a/b", "a/b.bak", "a/b/c/d")]
    [InlineData("data", "data 2/x", "data-old", "data.csv", "data/train.jsonl")]
    public void A_file_that_is_also_a_folder_is_refused_naming_both(params string[] paths)
    {
        var error = Build(paths);
        Assert.NotNull(error);
        Assert.Equal(400, error.Status);
        var expected = BruteForce(paths)!.Value;
        Assert.Equal(expected.File, error.Extensions["path"]);
        Assert.StartsWith(expected.File + "/", (string)error.Extensions["conflictingPath"]!, StringComparison.Ordinal);
        Assert.Contains("no checkout can hold both", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("q/b", "q.txt", "qq")]
    [InlineData("a", "ab/c", "a b/c", "a.b/c")]
    [InlineData("x/y/z", "x/y.z", "x/yz/a")]
    public void Files_next_to_folders_of_similar_names_are_fine(params string[] paths) =>
        Assert.Null(Build(paths));

    /// <summary>Paths over a small alphabet, so prefixes and near-prefixes ('.', '-', ' ' sort before '/') are frequent.</summary>
    internal static readonly Gen<string> SmallPath =
        Gen.Char["ab.- "].Array[1, 3].Select(c => new string(c)).Where(s => s.Trim() == s && s is not ("." or ".."))
            .Array[1, 4].Select(segments => string.Join('/', segments));

    [Fact]
    public void The_one_pass_check_agrees_with_the_definition_on_random_trees() =>
        SeededProperty.Check(SmallPath.Array[1, 40], 2_000, paths =>
        {
            var expected = BruteForce(paths.Distinct(StringComparer.Ordinal).ToList());
            var error = Build(paths);
            Assert.Equal(expected is not null, error is not null);
        });
}
