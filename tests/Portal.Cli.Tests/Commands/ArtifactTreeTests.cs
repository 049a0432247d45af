using System.Net;
using System.Text;
using System.Text.Json;

namespace Portal.Cli.Tests.Commands;

/// <summary>What <c>put</c> makes of a real file tree (links, long and odd names) and what <c>get</c> does to a folder.</summary>
[Collection(CliCollection.Name)]
public sealed class ArtifactTreeTests(CliApp app)
{
    /// <summary>Every file under <paramref name="folder"/> (links not followed) by '/'-separated relative path.</summary>
    internal static SortedDictionary<string, byte[]> Snapshot(string folder)
    {
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(folder, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
            files[Path.GetRelativePath(folder, file).Replace('\\', '/')] = File.ReadAllBytes(file);
        return files;
    }

    internal static void AssertFiles(IDictionary<string, byte[]> expected, string folder)
    {
        var actual = Snapshot(folder);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys);
        foreach (var (path, bytes) in expected)
            Assert.True(bytes.AsSpan().SequenceEqual(actual[path]), $"{path}: {actual[path].Length} bytes differ from the {bytes.Length} expected");
    }

    private static List<string> TempFiles(string folder) =>
        Directory.EnumerateFiles(folder, ".portal-*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).ToList();

    private async Task AssertNoVersionAsync(TestProject team, string artifact)
    {
        using var sdk = app.Sdk(team.Contributor.Token);
        try
        {
            var versions = await sdk.ListVersionsAsync(team.Slug, artifact);
            Assert.Empty(versions.Items);
        }
        catch (PortalApiException ex) when (ex.Status == HttpStatusCode.NotFound)
        {
            // The artifact was never created: no version either.
        }
    }

    private static string[] Put(CliSession cli, TestProject team, string folder, string artifact, params string[] more) =>
        ["artifact", "put", cli.PathTo(folder), "-p", team.Slug, "-n", artifact, "-t", "dataset", .. more];

    private static string[] Get(CliSession cli, TestProject team, string version, string folder, params string[] more) =>
        ["artifact", "get", version, "-p", team.Slug, "-o", cli.PathTo(folder), .. more];

    [Fact]
    public async Task Symlinked_files_and_folders_are_followed_and_record_the_targets_bytes_and_size()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        cli.Write("data/real.txt", "thirteen byte");
        var outsideFile = cli.Write("outside/file.bin", "bytes that live outside the folder\n");
        cli.Write("outside/sub/deeper.txt", "deeper\n");
        File.CreateSymbolicLink(cli.PathTo("data/relative"), "real.txt");
        File.CreateSymbolicLink(cli.PathTo("data/absolute"), outsideFile);
        Directory.CreateSymbolicLink(cli.PathTo("data/folder"), "../outside");
        Directory.CreateDirectory(cli.PathTo("data/inner"));
        File.CreateSymbolicLink(cli.PathTo("data/inner/up-and-over"), "../folder/sub/deeper.txt");

        var put = await cli.RunAsync([.. Put(cli, team, "data", "linked"), "--json"]);

        Assert.True(put.Exit == 0, put.Stderr);
        Assert.Equal(0, JsonDocument.Parse(put.Stdout).RootElement.GetProperty("skipped").GetInt32());
        var expected = new Dictionary<string, byte[]>
        {
            ["real.txt"] = Encoding.UTF8.GetBytes("thirteen byte"),
            ["relative"] = Encoding.UTF8.GetBytes("thirteen byte"),
            ["absolute"] = File.ReadAllBytes(outsideFile),
            ["folder/file.bin"] = File.ReadAllBytes(outsideFile),
            ["folder/sub/deeper.txt"] = Encoding.UTF8.GetBytes("deeper\n"),
            ["inner/up-and-over"] = Encoding.UTF8.GetBytes("deeper\n"),
        };
        using (var files = JsonDocument.Parse(await cli.OkAsync("artifact", "files", "linked", "-p", team.Slug, "--json")))
        {
            foreach (var file in files.RootElement.EnumerateArray())
                Assert.Equal(expected[file.GetProperty("path").GetString()!].Length, file.GetProperty("size").GetInt64());
        }

        await cli.OkAsync(Get(cli, team, "linked", "out"));
        AssertFiles(expected, cli.PathTo("out"));
    }

    [Fact]
    public async Task Dangling_links_and_loops_are_skipped_with_a_warning_each_and_a_count()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        cli.Write("data/ok.txt", "ok\n");
        cli.Write("data/sub/also.txt", "also\n");
        File.CreateSymbolicLink(cli.PathTo("data/broken"), "nowhere.txt");
        Directory.CreateSymbolicLink(cli.PathTo("data/sub/back-to-top"), "..");
        File.CreateSymbolicLink(cli.PathTo("data/ping"), "pong");
        File.CreateSymbolicLink(cli.PathTo("data/pong"), "ping");

        var put = await cli.RunAsync([.. Put(cli, team, "data", "ds"), "--json"]);

        Assert.True(put.Exit == 0, put.Stderr);
        Assert.Equal(4, JsonDocument.Parse(put.Stdout).RootElement.GetProperty("skipped").GetInt32());
        Assert.Contains($"warning: skipped {cli.PathTo("data/broken")}: a symbolic link to nowhere.txt, which does not exist", put.Stderr);
        Assert.Contains($"warning: skipped {cli.PathTo("data/sub/back-to-top")}: a symbolic link to .., a folder that contains the link (a loop)", put.Stderr);
        Assert.Contains($"warning: skipped {cli.PathTo("data/ping")}:", put.Stderr);
        Assert.Contains($"warning: skipped {cli.PathTo("data/pong")}:", put.Stderr);
        Assert.Contains("; 4 skipped (named above)", put.Stderr);

        await cli.OkAsync(Get(cli, team, "ds", "out"));
        AssertFiles(new Dictionary<string, byte[]> { ["ok.txt"] = "ok\n"u8.ToArray(), ["sub/also.txt"] = "also\n"u8.ToArray() }, cli.PathTo("out"));
    }

    [Fact]
    public async Task Strict_turns_a_skipped_link_into_an_error_and_creates_no_version()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        cli.Write("data/ok.txt", "ok\n");
        File.CreateSymbolicLink(cli.PathTo("data/broken"), "nowhere.txt");

        var put = await cli.RunAsync([.. Put(cli, team, "data", "ds"), "--strict"]);

        Assert.Equal(1, put.Exit);
        Assert.Contains("--strict: 1 entry would be skipped, so no version was created:", put.Stderr);
        Assert.Contains($"{cli.PathTo("data/broken")}: a symbolic link to nowhere.txt, which does not exist", put.Stderr);
        Assert.Empty(put.Stdout);
        await AssertNoVersionAsync(team, "ds");
    }

    [Fact]
    public async Task Links_skip_leaves_links_out_and_links_error_refuses_naming_every_link()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        cli.Write("data/real.txt", "real\n");
        cli.Write("data/sub/more.txt", "more\n");
        File.CreateSymbolicLink(cli.PathTo("data/to-real"), "real.txt");
        Directory.CreateSymbolicLink(cli.PathTo("data/to-sub"), "sub");
        File.CreateSymbolicLink(cli.PathTo("data/sub/broken"), "nowhere");

        var refused = await cli.RunAsync([.. Put(cli, team, "data", "ds"), "--links", "error"]);
        Assert.Equal(1, refused.Exit);
        Assert.Contains("3 symbolic links found, and --links error refuses them", refused.Stderr);
        foreach (var link in new[] { "data/to-real", "data/to-sub", "data/sub/broken" })
            Assert.Contains(cli.PathTo(link), refused.Stderr);
        await AssertNoVersionAsync(team, "ds");

        var skipped = await cli.RunAsync(Put(cli, team, "data", "ds", "--links", "skip", "--strict"));
        Assert.True(skipped.Exit == 0, skipped.Stderr);
        Assert.Contains("3 symbolic links left out (--links skip)", skipped.Stderr);
        Assert.DoesNotContain("warning:", skipped.Stderr);
        await cli.OkAsync(Get(cli, team, "ds", "out"));
        AssertFiles(new Dictionary<string, byte[]> { ["real.txt"] = "real\n"u8.ToArray(), ["sub/more.txt"] = "more\n"u8.ToArray() }, cli.PathTo("out"));
    }

    [SkippableFact]
    public async Task A_named_pipe_in_the_folder_is_refused_instead_of_waited_on()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && File.Exists("/usr/bin/mkfifo"), "needs Linux and mkfifo");
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        cli.Write("data/ok.txt", "ok\n");
        using (var mkfifo = System.Diagnostics.Process.Start("/usr/bin/mkfifo", cli.PathTo("data/pipe")))
            await mkfifo.WaitForExitAsync();

        var put = await cli.RunAsync(Put(cli, team, "data", "ds")).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, put.Exit);
        Assert.Contains($"cannot read {cli.PathTo("data/pipe")}: it is a named pipe, not a regular file", put.Stderr);
        await AssertNoVersionAsync(team, "ds");
    }

    [Fact]
    public async Task Names_of_255_bytes_round_trip_and_leave_no_temporary_files()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        var twoByte = new string('é', 127) + "x";
        var fourByte = string.Concat(Enumerable.Repeat("😀", 63)) + "abc";
        Assert.Equal(255, Encoding.UTF8.GetByteCount(twoByte));
        Assert.Equal(255, Encoding.UTF8.GetByteCount(fourByte));
        var expected = new Dictionary<string, byte[]>
        {
            [twoByte] = "two-byte characters\n"u8.ToArray(),
            [$"{fourByte}/{twoByte}"] = "in a folder with a long name\n"u8.ToArray(),
            [$"{fourByte}/{new string('a', 255)}"] = [],
        };
        foreach (var (path, bytes) in expected)
            cli.Write("data/" + path, bytes);

        await cli.OkAsync(Put(cli, team, "data", "long"));
        var get = await cli.RunAsync(Get(cli, team, "long", "out", "--no-cache"));

        Assert.True(get.Exit == 0, get.Stderr);
        Assert.Contains("3 downloaded", get.Stdout);
        AssertFiles(expected, cli.PathTo("out"));
        Assert.Empty(TempFiles(cli.PathTo("out")));
    }

    [Fact]
    public async Task Every_invalid_path_is_reported_in_one_message()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        cli.Write("data/fine.txt", "fine\n");
        cli.Write("data/a\ttab.txt", "tab\n");
        cli.Write("data/back\\slash.txt", "backslash\n");
        cli.Write("data/new\nline.txt", "newline\n");
        for (var i = 0; i < 22; i++)
            cli.Write($"data/zz-bell/{i:00}\u0007.txt", "bell\n");

        var put = await cli.RunAsync(Put(cli, team, "data", "ds"));

        Assert.Equal(1, put.Exit);
        Assert.Contains("25 paths break the portal's path rules; rename them and put again:", put.Stderr);
        Assert.Contains("\"a\\u0009tab.txt\": it contains the control character U+0009 at position 1", put.Stderr);
        Assert.Contains("\"back\\\\slash.txt\": it contains '\\' at position 4", put.Stderr);
        Assert.Contains("\"new\\u000Aline.txt\": it contains the control character U+000A at position 3", put.Stderr);
        Assert.Contains("\"zz-bell/16\\u0007.txt\"", put.Stderr);
        Assert.DoesNotContain("\"zz-bell/17\\u0007.txt\"", put.Stderr);
        Assert.Contains("… and 5 more", put.Stderr);
        Assert.DoesNotContain("fine.txt", put.Stderr);
        await AssertNoVersionAsync(team, "ds");
    }

    [Fact]
    public async Task Get_counts_files_not_in_the_version_and_delete_removes_them_and_the_folders_it_emptied()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        cli.Write("v0/a.txt", "a\n");
        cli.Write("v0/b.txt", "b\n");
        cli.Write("v0/sub/deep/c.txt", "c\n");
        await cli.OkAsync(Put(cli, team, "v0", "ds"));
        cli.Write("v1/a.txt", "a\n");
        cli.Write("v1/d.txt", "d\n");
        await cli.OkAsync(Put(cli, team, "v1", "ds"));
        await cli.OkAsync(Get(cli, team, "ds:v0", "out"));
        Directory.CreateDirectory(cli.PathTo("out/was-empty"));
        var outsideFile = cli.Write("outside/precious.txt", "not the folder's to delete\n");
        File.CreateSymbolicLink(cli.PathTo("out/link-to-file"), outsideFile);
        Directory.CreateSymbolicLink(cli.PathTo("out/link-to-folder"), cli.PathTo("outside"));

        var kept = await cli.RunAsync(Get(cli, team, "ds:v1", "out"));

        Assert.True(kept.Exit == 0, kept.Stderr);
        Assert.Contains($"4 files in {cli.PathTo("out")} are not in this version (use --delete to remove them)", kept.Stderr);
        Assert.True(File.Exists(cli.PathTo("out/b.txt")));

        var mirrored = await cli.RunAsync([.. Get(cli, team, "ds:v1", "out", "--delete"), "--json"]);

        Assert.True(mirrored.Exit == 0, mirrored.Stderr);
        using var json = JsonDocument.Parse(mirrored.Stdout);
        Assert.Equal(4, json.RootElement.GetProperty("deleted").GetInt32());
        Assert.Equal(0, json.RootElement.GetProperty("notInVersion").GetInt32());
        AssertFiles(new Dictionary<string, byte[]> { ["a.txt"] = "a\n"u8.ToArray(), ["d.txt"] = "d\n"u8.ToArray() }, cli.PathTo("out"));
        Assert.False(Directory.Exists(cli.PathTo("out/sub")));
        Assert.True(Directory.Exists(cli.PathTo("out/was-empty")), "a folder that was empty before is not the get's to remove");
        Assert.False(Path.Exists(cli.PathTo("out/link-to-folder")));
        Assert.Equal("not the folder's to delete\n", File.ReadAllText(outsideFile));

        var again = await cli.RunAsync(Get(cli, team, "ds:v1", "out"));
        Assert.DoesNotContain("not in this version", again.Stderr);
    }

    [Fact]
    public async Task A_get_that_fails_to_place_a_file_leaves_no_temporary_file()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        cli.Write("data/x.txt", "x\n");
        cli.Write("data/y.txt", "y\n");
        await cli.OkAsync(Put(cli, team, "data", "ds"));
        // A folder where the version has a file: the download succeeds, the rename into place cannot.
        cli.Write("out/x.txt/in-the-way", "in the way\n");

        var get = await cli.RunAsync(Get(cli, team, "ds", "out", "--no-cache"));

        Assert.Equal(1, get.Exit);
        Assert.Contains("error: x.txt:", get.Stderr);
        Assert.Contains($"1 file in {cli.PathTo("out")} is not in this version (use --delete to remove it)", get.Stderr);
        Assert.Equal("y\n", File.ReadAllText(cli.PathTo("out/y.txt")));
        Assert.Empty(TempFiles(cli.PathTo("out")));
    }

    [Fact]
    public async Task Delete_first_clears_what_stands_where_the_version_needs_a_file_or_a_folder()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        cli.Write("data/x.txt", "x\n");
        cli.Write("data/sub/y.txt", "y\n");
        await cli.OkAsync(Put(cli, team, "data", "ds"));
        cli.Write("out/x.txt/in-the-way", "a folder where the version has a file\n");
        cli.Write("out/sub", "a file where the version has a folder\n");

        var get = await cli.RunAsync(Get(cli, team, "ds", "out", "--delete"));

        Assert.True(get.Exit == 0, get.Stderr);
        Assert.Contains("2 deleted (1 emptied folders removed)", get.Stdout);
        AssertFiles(new Dictionary<string, byte[]> { ["x.txt"] = "x\n"u8.ToArray(), ["sub/y.txt"] = "y\n"u8.ToArray() }, cli.PathTo("out"));
    }

    [Fact]
    public async Task Delete_deletes_nothing_when_a_download_failed()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        var unique = $"bytes only this test holds {Guid.NewGuid()}\n";
        cli.Write("data/damaged.txt", unique);
        cli.Write("data/fine.txt", "fine\n");
        await cli.OkAsync(Put(cli, team, "data", "ds"));
        await app.CorruptBlobAsync(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(unique))));
        cli.Write("out/stray.txt", "not in the version\n");

        var get = await cli.RunAsync(Get(cli, team, "ds", "out", "--no-cache", "--delete"));

        Assert.Equal(1, get.Exit);
        Assert.Contains("error: damaged.txt", get.Stderr);
        Assert.Contains($"1 file in {cli.PathTo("out")} that is not in this version was kept, because some files failed to download", get.Stderr);
        Assert.True(File.Exists(cli.PathTo("out/stray.txt")));
        Assert.False(File.Exists(cli.PathTo("out/damaged.txt")));
        Assert.Empty(TempFiles(cli.PathTo("out")));
    }

    [Fact]
    public async Task A_cancelled_get_removes_its_temporary_files()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        var random = new Random(18);
        for (var i = 0; i < 40; i++)
        {
            var bytes = new byte[2 * 1024 * 1024];
            random.NextBytes(bytes);
            cli.Write($"data/part-{i:00}.bin", bytes);
        }

        await cli.OkAsync(Put(cli, team, "data", "big"));
        Directory.CreateDirectory(cli.PathTo("out"));
        using var cancel = new CancellationTokenSource();
        var get = cli.RunAsync(cancel.Token, Get(cli, team, "big", "out", "--no-cache", "--jobs", "2"));
        // Cancel as soon as a download is under way, i.e. a temporary file exists.
        while (!get.IsCompleted && TempFiles(cli.PathTo("out")).Count == 0)
            await Task.Delay(1);
        cancel.Cancel();
        var result = await get;

        Assert.NotEqual(0, result.Exit);
        Assert.Empty(TempFiles(cli.PathTo("out")));
        Assert.True(Snapshot(cli.PathTo("out")).Count < 40, "the get was cancelled before it finished");
    }
}
