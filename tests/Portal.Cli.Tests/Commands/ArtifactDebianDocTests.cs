using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Xunit.Abstractions;

namespace Portal.Cli.Tests.Commands;

/// <summary>
/// A real tree as users have them: a <c>cp -a</c> copy of Debian's documentation folder, links (relative ones between
/// packages' folders, and some that lead nowhere) included. Put and got back, it must equal what <c>find -L</c> — an
/// independent walk that follows links the same way — sees in the copy, byte for byte. The copy holds every package
/// folder that has, is or is pointed at by a link, and then others up to about <see cref="FileBudget"/> files, because
/// <c>get</c> still fetches one file per request (batched downloads are issue 17's); set
/// <c>PORTAL_TEST_WHOLE_DEBIAN_DOC=1</c> to copy all of it (about 6,500 files with links followed, minutes).
/// </summary>
[Collection(CliCollection.Name)]
public sealed class ArtifactDebianDocTests(CliApp app, ITestOutputHelper output)
{
    private const string Source = "/usr/share/doc";
    private const int FileBudget = 1500;

    /// <summary>The top-level entries of <see cref="Source"/> to copy: see the class summary.</summary>
    private static List<string> Selection()
    {
        var entries = Directory.GetFileSystemEntries(Source).Order(StringComparer.Ordinal).ToList();
        if (Environment.GetEnvironmentVariable("PORTAL_TEST_WHOLE_DEBIAN_DOC") == "1")
            return entries;
        var prefix = Source + "/";
        string? TopOf(string path) => path.StartsWith(prefix, StringComparison.Ordinal) ? prefix + path[prefix.Length..].Split('/')[0] : null;
        var linked = new HashSet<string>(StringComparer.Ordinal);
        var all = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true };
        foreach (var link in Directory.EnumerateFileSystemEntries(Source, "*", all).Where(p => new FileInfo(p).LinkTarget is not null))
        {
            linked.Add(TopOf(link)!);
            if (TopOf(Path.GetFullPath(new FileInfo(link).LinkTarget!, Path.GetDirectoryName(link)!)) is { } target)
                linked.Add(target);
        }

        var selected = entries.Where(linked.Contains).ToList();
        var files = selected.Sum(e => Directory.Exists(e) ? Directory.EnumerateFiles(e, "*", all).Count() : 1);
        foreach (var entry in entries.Where(e => !linked.Contains(e)))
        {
            if (files >= FileBudget)
                break;
            selected.Add(entry);
            files += Directory.Exists(entry) ? Directory.EnumerateFiles(entry, "*", all).Count() : 1;
        }

        return selected;
    }

    private static string Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        // find exits 1 when it met a link to nowhere or a loop, which this tree has on purpose.
        Assert.True(process.ExitCode == 0 || file == "find", $"{file} exited {process.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }

    private static Dictionary<string, string> Digests(string root, IEnumerable<string> paths) =>
        paths.ToDictionary(p => p, p => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(root, p)))), StringComparer.Ordinal);

    [SkippableFact]
    public async Task A_cp_a_copy_of_Debian_documentation_comes_back_identical_with_links_followed()
    {
        Skip.IfNot(Directory.Exists(Source) && File.Exists("/usr/bin/find"), $"{Source} or find is not on this machine (a Debian-based system ships them)");
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        var clock = Stopwatch.StartNew();
        var copy = cli.PathTo("doc");
        Directory.CreateDirectory(copy);
        Run("cp", ["-a", .. Selection(), copy]);
        var links = Run("find", copy, "-type", "l").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        Skip.If(links == 0, $"{Source} holds no symbolic links here, so the test would prove nothing about them");

        // With -L, find follows links; "-type f" then lists what a link leads to, and a link to nowhere is "-type l".
        var followed = Run("find", "-L", copy, "-type", "f", "-print0").Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => Path.GetRelativePath(copy, p)).ToList();
        var dangling = Run("find", "-L", copy, "-type", "l").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        var expected = Digests(copy, followed);
        output.WriteLine($"{links} links, {dangling} leading nowhere; {expected.Count} files when links are followed ({clock.Elapsed.TotalSeconds:0.0} s)");

        var put = await cli.RunAsync("artifact", "put", copy, "-p", team.Slug, "-n", "debian-doc", "-t", "documents", "--json");
        Assert.True(put.Exit == 0, put.Stderr);
        output.WriteLine($"{put.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]} ({clock.Elapsed.TotalSeconds:0.0} s)");
        using (var json = JsonDocument.Parse(put.Stdout))
        {
            Assert.Equal(expected.Count, json.RootElement.GetProperty("files").GetInt32());
            Assert.Equal(dangling, json.RootElement.GetProperty("skipped").GetInt32());
        }

        var get = await cli.RunAsync("artifact", "get", "debian-doc", "-p", team.Slug, "-o", cli.PathTo("back"), "--no-cache");
        Assert.True(get.Exit == 0, get.Stderr);
        output.WriteLine($"{get.Stdout.Trim()} ({clock.Elapsed.TotalSeconds:0.0} s)");

        var back = Directory.EnumerateFiles(cli.PathTo("back"), "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(p => Path.GetRelativePath(cli.PathTo("back"), p)).ToList();
        Assert.DoesNotContain(back, p => new FileInfo(cli.PathTo(Path.Combine("back", p))).LinkTarget is not null);
        var actual = Digests(cli.PathTo("back"), back);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([], expected.Where(e => actual[e.Key] != e.Value).Select(e => e.Key));
    }
}
