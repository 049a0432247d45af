using System.Text;
using System.Text.Json;
using CsCheck;
using Xunit.Abstractions;

namespace Portal.Cli.Tests.Commands;

/// <summary>
/// Random trees — Unicode and 255-byte names, deep nesting, empty files, links to files and folders inside and
/// outside the folder, links to nowhere, loops of links and links back up — put and got back through the real CLI
/// and server. What comes back must be what the link policy promises, worked out here from the tree's description
/// (not from the disk): links followed to their bytes, a link to a folder it is already inside skipped, dangling
/// links and loops skipped and counted; with <c>--links skip</c> the links left out; with <c>--links error</c> a
/// refusal that creates no version.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class ArtifactTreePropertyTests(CliApp app, ITestOutputHelper output)
{
    private enum LinkKind
    {
        FileInside,
        FileInsideAbsolute,
        FileOutside,
        FolderInside,
        FolderOutside,
        Dangling,
        LoopPair,
    }

    private sealed record NameSpec(string Text, bool Long);

    private sealed record FileSpec(int Folder, NameSpec Name, byte[] Content);

    private sealed record LinkSpec(int Folder, string Name, LinkKind Kind, int Target);

    private sealed record TreeSpec(string Links, int[] Parents, string[] FolderNames, int Deep, FileSpec[] Files, LinkSpec[] LinkSpecs);

    private static readonly string[] Syllables = ["a", "b", "z", "0", "-", "_", ".", " ", "é", "ß", "Ж", "Ω", "日本", "デ", "😀", "€", "ñ"];

    private static readonly Gen<string> ShortName = Gen.OneOf(Syllables).Array[1, 4].Select(string.Concat);

    private static readonly Gen<NameSpec> FileName = Gen.Frequency(
        (5, ShortName.Select(n => new NameSpec(n, false))),
        (1, Gen.OneOf("é", "日", "😀", "a").Select(c => new NameSpec(c, true))));

    private static readonly Gen<byte[]> Content = Gen.Frequency((1, Gen.Const(Array.Empty<byte>())), (4, Gen.Byte.Array[1, 300]));

    private static readonly Gen<TreeSpec> Trees =
        from links in Gen.Frequency((6, Gen.Const("follow")), (1, Gen.Const("skip")), (1, Gen.Const("error")))
        from folderCount in Gen.Int[0, 6]
        from parents in Gen.Int[0, 1 << 20].Array[folderCount]
        from folderNames in ShortName.Array[folderCount]
        from deep in Gen.Frequency((3, Gen.Const(0)), (1, Gen.Int[1, 40]))
        from files in Gen.Select(Gen.Int[0, 1 << 20], FileName, Content, (f, n, c) => new FileSpec(f, n, c)).Array[0, 10]
        from linkSpecs in Gen.Select(Gen.Int[0, 1 << 20], ShortName, Gen.Enum<LinkKind>(), Gen.Int[0, 1 << 20], (f, n, k, t) => new LinkSpec(f, n, k, t)).Array[0, 5]
        select new TreeSpec(links, parents, folderNames, deep, files, linkSpecs);

    private static readonly byte[] OutsideText = "outside the folder\n"u8.ToArray();
    private static readonly byte[] OutsideSub = [0, 1, 2, 255];

    /// <summary>The tree on disk and in the model: folders by number (0 the root, then the random ones, then the deep chain).</summary>
    private sealed class Tree
    {
        public required List<string> FolderPaths { get; init; } // relative to the root, "" for the root
        public required List<(string Name, int Folder)>[] Subfolders { get; init; }
        public required List<(string Name, byte[] Content)>[] FolderFiles { get; init; }
        public required List<(string Name, LinkKind Kind, int Target)>[] FolderLinks { get; init; }
        public required List<(string Path, byte[] Content)> Files { get; init; }
    }

    private static string Long(string prefix, string filler)
    {
        var builder = new StringBuilder(prefix);
        while (Encoding.UTF8.GetByteCount(builder.ToString()) + Encoding.UTF8.GetByteCount(filler) <= 255)
            builder.Append(filler);
        while (Encoding.UTF8.GetByteCount(builder.ToString()) < 255)
            builder.Append('a');
        return builder.ToString();
    }

    private static Tree Build(TreeSpec spec)
    {
        var folderCount = 1 + spec.Parents.Length + spec.Deep;
        var tree = new Tree
        {
            FolderPaths = [""],
            Subfolders = Enumerable.Range(0, folderCount).Select(_ => new List<(string, int)>()).ToArray(),
            FolderFiles = Enumerable.Range(0, folderCount).Select(_ => new List<(string, byte[])>()).ToArray(),
            FolderLinks = Enumerable.Range(0, folderCount).Select(_ => new List<(string, LinkKind, int)>()).ToArray(),
            Files = [],
        };
        for (var i = 1; i <= spec.Parents.Length; i++)
            AddFolder(spec.Parents[i - 1] % i, $"f{i}-{spec.FolderNames[i - 1]}");
        for (var d = 0; d < spec.Deep; d++)
            AddFolder(d == 0 ? 0 : tree.FolderPaths.Count - 1, d == 0 ? "deep" : $"d{d}");

        // One file always, so a tree is never empty; then the random ones (the last level of the deep chain included).
        AddFile(0, "anchor.txt", "anchor\n"u8.ToArray());
        for (var k = 0; k < spec.Files.Length; k++)
        {
            var file = spec.Files[k];
            AddFile(file.Folder % folderCount, file.Name.Long ? Long($"{k}-", file.Name.Text) : $"{k}-{file.Name.Text}", file.Content);
        }

        var linkFolders = 1 + spec.Parents.Length;
        for (var k = 0; k < spec.LinkSpecs.Length; k++)
        {
            var link = spec.LinkSpecs[k];
            var target = link.Kind switch
            {
                LinkKind.FileInside or LinkKind.FileInsideAbsolute => link.Target % tree.Files.Count,
                LinkKind.FolderInside => link.Target % linkFolders,
                _ => 0,
            };
            tree.FolderLinks[link.Folder % linkFolders].Add(($"l{k}-{link.Name}", link.Kind, target));
        }

        return tree;

        void AddFolder(int parent, string name)
        {
            tree.Subfolders[parent].Add((name, tree.FolderPaths.Count));
            tree.FolderPaths.Add(tree.FolderPaths[parent].Length == 0 ? name : tree.FolderPaths[parent] + "/" + name);
        }

        void AddFile(int folder, string name, byte[] content)
        {
            tree.FolderFiles[folder].Add((name, content));
            tree.Files.Add((tree.FolderPaths[folder].Length == 0 ? name : tree.FolderPaths[folder] + "/" + name, content));
        }
    }

    private static void Write(Tree tree, string root, string outside)
    {
        Directory.CreateDirectory(Path.Combine(outside, "sub"));
        File.WriteAllBytes(Path.Combine(outside, "o.txt"), OutsideText);
        File.WriteAllBytes(Path.Combine(outside, "sub", "p.bin"), OutsideSub);
        foreach (var folder in tree.FolderPaths)
            Directory.CreateDirectory(Path.Combine(root, folder));
        foreach (var (path, content) in tree.Files)
            File.WriteAllBytes(Path.Combine(root, path), content);
        for (var folder = 0; folder < tree.FolderLinks.Length; folder++)
        {
            var where = Path.Combine(root, tree.FolderPaths[folder]);
            foreach (var (name, kind, target) in tree.FolderLinks[folder])
            {
                var link = Path.Combine(where, name);
                switch (kind)
                {
                    case LinkKind.FileInside:
                        File.CreateSymbolicLink(link, Path.GetRelativePath(where, Path.Combine(root, tree.Files[target].Path)));
                        break;
                    case LinkKind.FileInsideAbsolute:
                        File.CreateSymbolicLink(link, Path.Combine(root, tree.Files[target].Path));
                        break;
                    case LinkKind.FileOutside:
                        File.CreateSymbolicLink(link, Path.Combine(outside, "o.txt"));
                        break;
                    case LinkKind.FolderInside:
                        Directory.CreateSymbolicLink(link, Path.GetRelativePath(where, Path.Combine(root, tree.FolderPaths[target])));
                        break;
                    case LinkKind.FolderOutside:
                        Directory.CreateSymbolicLink(link, outside);
                        break;
                    case LinkKind.Dangling:
                        File.CreateSymbolicLink(link, "nothing-here");
                        break;
                    case LinkKind.LoopPair:
                        File.CreateSymbolicLink(link, name + "-b");
                        File.CreateSymbolicLink(link + "-b", name);
                        break;
                }
            }
        }
    }

    private sealed record Promise(Dictionary<string, byte[]> Files, int Skipped, int Links);

    /// <summary>What the policy promises for the tree, walked in the model: folder numbers stand for device and inode.</summary>
    private static Promise Expect(Tree tree, string links)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var (skipped, linkCount) = (0, 0);
        Expand(0, "", [0]);
        return new Promise(files, skipped, linkCount);

        void Expand(int folder, string prefix, IReadOnlyList<int> chain)
        {
            if (folder < 0)
            {
                // The folder outside: o.txt and sub/p.bin.
                files[prefix + "o.txt"] = OutsideText;
                files[prefix + "sub/p.bin"] = OutsideSub;
                return;
            }

            foreach (var (name, content) in tree.FolderFiles[folder])
                files[prefix + name] = content;
            foreach (var (name, sub) in tree.Subfolders[folder])
            {
                // Inside a followed link, a real subfolder can be one the walk is already in (the link's target).
                if (chain.Contains(sub))
                    skipped++;
                else
                    Expand(sub, prefix + name + "/", [.. chain, sub]);
            }
            foreach (var (name, kind, target) in tree.FolderLinks[folder])
            {
                var count = kind == LinkKind.LoopPair ? 2 : 1;
                linkCount += count;
                if (links != "follow")
                    continue;
                switch (kind)
                {
                    case LinkKind.FileInside or LinkKind.FileInsideAbsolute:
                        files[prefix + name] = tree.Files[target].Content;
                        break;
                    case LinkKind.FileOutside:
                        files[prefix + name] = OutsideText;
                        break;
                    case LinkKind.FolderOutside:
                        Expand(-1, prefix + name + "/", chain);
                        break;
                    case LinkKind.FolderInside when chain.Contains(target):
                        skipped++;
                        break;
                    case LinkKind.FolderInside:
                        Expand(target, prefix + name + "/", [.. chain, target]);
                        break;
                    default:
                        skipped += count;
                        break;
                }
            }
        }
    }

    [Fact]
    public async Task Put_then_get_of_a_random_tree_gives_what_the_link_policy_promises()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        var caseNumber = 0;
        var outcomes = new HashSet<string>();
        await SeededProperty.CheckAsync(Trees, 40, async spec =>
        {
            var n = ++caseNumber;
            var tree = Build(spec);
            var (root, outside, copy) = (cli.PathTo($"case-{n}/root"), cli.PathTo($"case-{n}/outside"), cli.PathTo($"case-{n}/copy"));
            Write(tree, root, outside);
            var promise = Expect(tree, spec.Links);
            string[] put = ["artifact", "put", root, "-p", team.Slug, "-n", $"tree-{n}", "-t", "dataset", "--links", spec.Links, "--json"];

            if (spec.Links == "error" && promise.Links > 0)
            {
                var refused = await cli.RunAsync(put);
                Assert.Equal(1, refused.Exit);
                Assert.Contains($"{promise.Links} symbolic {(promise.Links == 1 ? "link" : "links")} found", refused.Stderr);
                outcomes.Add("refused");
                return;
            }

            if (promise.Skipped > 0)
            {
                var strict = await cli.RunAsync([.. put, "--strict"]);
                Assert.Equal(1, strict.Exit);
                Assert.Contains($"--strict: {promise.Skipped} ", strict.Stderr);
                outcomes.Add("strict");
            }

            var result = await cli.RunAsync(put);
            Assert.True(result.Exit == 0, result.Stderr);
            using (var json = JsonDocument.Parse(result.Stdout))
            {
                Assert.Equal($"tree-{n}:v0", json.RootElement.GetProperty("version").GetString());
                Assert.Equal(promise.Skipped, json.RootElement.GetProperty("skipped").GetInt32());
                Assert.Equal(spec.Links == "skip" ? promise.Links : 0, json.RootElement.GetProperty("linksLeftOut").GetInt32());
            }

            await cli.OkAsync("artifact", "get", $"tree-{n}", "-p", team.Slug, "-o", copy);
            ArtifactTreeTests.AssertFiles(promise.Files, copy);
            outcomes.Add(spec.Links + (promise.Skipped > 0 ? " with skips" : ""));
        }, output, shrink: false);

        output.WriteLine("outcomes: " + string.Join(", ", outcomes.Order()));
        Assert.Contains("follow with skips", outcomes);
        Assert.Contains("follow", outcomes);
    }
}
