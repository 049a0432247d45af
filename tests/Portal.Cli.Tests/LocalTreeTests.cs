namespace Portal.Cli.Tests;

public sealed class LocalTreeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("portal-local-tree-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Write(string relative, string content = "x")
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    private LocalTree Collect(LinkPolicy links = LinkPolicy.Follow) => LocalTree.Collect([Path.Combine(_root, "data")], _root, links);

    [Fact]
    public void A_followed_file_link_is_recorded_with_the_target_file()
    {
        var target = Write("data/real.txt", "thirteen byte");
        File.CreateSymbolicLink(Path.Combine(_root, "data", "link"), target);

        var tree = Collect();

        var link = Assert.Single(tree.Files, f => f.ManifestPath == "link");
        Assert.Equal(target, link.File.FullName);
        Assert.Equal(13, link.File.Length);
    }

    [Fact]
    public void A_folder_reached_by_two_links_that_do_not_loop_is_listed_under_both()
    {
        Write("data/a/file.txt");
        Directory.CreateSymbolicLink(Path.Combine(_root, "data", "one"), "a");
        Directory.CreateSymbolicLink(Path.Combine(_root, "data", "two"), "a");

        var tree = Collect();

        Assert.Equal(["a/file.txt", "one/file.txt", "two/file.txt"], tree.Files.Select(f => f.ManifestPath).Order(StringComparer.Ordinal));
        Assert.Empty(tree.Skipped);
    }

    [Fact]
    public void A_loop_entered_through_another_link_is_found_by_device_and_inode()
    {
        // data/x -> a/b, and a/b/c/up -> a: walking x/c/up meets b again, a folder the walk is already inside as x.
        Write("data/a/b/c/file.txt");
        Directory.CreateSymbolicLink(Path.Combine(_root, "data", "x"), "a/b");
        Directory.CreateSymbolicLink(Path.Combine(_root, "data", "a", "b", "c", "up"), "../..");

        var tree = Collect();

        Assert.Equal(["a/b/c/file.txt", "x/c/file.txt"], tree.Files.Select(f => f.ManifestPath).Order(StringComparer.Ordinal));
        Assert.Equal(2, tree.Skipped.Count);
        Assert.Contains(tree.Skipped, s => s.LocalPath == Path.Combine(_root, "data", "a", "b", "c", "up") && s.Reason.EndsWith("a folder that contains the link (a loop)", StringComparison.Ordinal));
        Assert.Contains(tree.Skipped, s => s.Reason == "reached as x/c/up/b, a folder that is also one of the folders above it (a loop)");
    }

    [Fact]
    public void A_deep_tree_is_walked_without_recursion()
    {
        var deep = string.Join('/', Enumerable.Range(0, 1000).Select(i => "d"));
        Write("data/" + deep + "/leaf.txt");

        var tree = Collect();

        Assert.Equal(deep + "/leaf.txt", Assert.Single(tree.Files).ManifestPath);
    }

    [Fact]
    public void With_links_skip_nothing_behind_a_link_is_read()
    {
        Write("data/real.txt");
        File.CreateSymbolicLink(Path.Combine(_root, "data", "dangling"), "nowhere");
        Directory.CreateSymbolicLink(Path.Combine(_root, "data", "loop"), ".");

        var tree = Collect(LinkPolicy.Skip);

        Assert.Equal("real.txt", Assert.Single(tree.Files).ManifestPath);
        Assert.Empty(tree.Skipped);
        Assert.Equal(2, tree.LinksLeftOut);
    }
}
