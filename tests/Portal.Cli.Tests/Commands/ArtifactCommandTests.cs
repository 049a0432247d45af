using System.Security.Cryptography;
using System.Text.Json;

namespace Portal.Cli.Tests.Commands;

[Collection(CliCollection.Name)]
public sealed class ArtifactCommandTests(CliApp app)
{
    private static void WriteTree(CliSession cli, string folder, int files)
    {
        for (var i = 0; i < files; i++)
            cli.Write($"{folder}/part-{i / 10}/file-{i:000}.txt", $"content of file {i}\n");
    }

    private static void AssertSameTree(string expected, string actual)
    {
        var want = Directory.EnumerateFiles(expected, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(expected, f)).Order(StringComparer.Ordinal).ToList();
        var got = Directory.EnumerateFiles(actual, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(actual, f)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(want, got);
        foreach (var file in want)
            Assert.Equal(File.ReadAllBytes(Path.Combine(expected, file)), File.ReadAllBytes(Path.Combine(actual, file)));
    }

    [Fact]
    public async Task Put_then_get_round_trips_byte_identical_and_a_second_get_downloads_nothing()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        WriteTree(cli, "data", 25);
        var big = new byte[3 * 1024 * 1024 + 17];
        RandomNumberGenerator.Fill(big);
        cli.Write("data/blobs/big.bin", big);
        cli.Write("data/empty.txt", "");

        var put = await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "corpus", "-t", "dataset", "--meta", "source=tests", "--description", "first");
        Assert.Equal("corpus:v0", put.Trim());

        var first = await cli.OkAsync("artifact", "get", "corpus:v0", "-p", team.Slug, "-o", cli.PathTo("out"));
        Assert.Contains("27 downloaded", first);
        AssertSameTree(cli.PathTo("data"), cli.PathTo("out"));

        var again = await cli.OkAsync("artifact", "get", "corpus", "-p", team.Slug, "-o", cli.PathTo("out"), "--json");
        using var json = JsonDocument.Parse(again);
        Assert.Equal(0, json.RootElement.GetProperty("downloaded").GetInt32());
        Assert.Equal(27, json.RootElement.GetProperty("upToDate").GetInt32());
    }

    [Fact]
    public async Task Put_takes_a_message_with_m_as_every_command_does_and_metadata_with_meta()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        cli.Write("data/a.txt", "a\n");

        await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "corpus", "-t", "dataset", "-m", "first import", "--meta", "source=cli");

        using var sdk = app.Sdk(team.Contributor.Token);
        var version = await sdk.ResolveVersionAsync(team.Slug, "corpus:v0");
        Assert.Equal("first import", version.Description);
        Assert.Equal("cli", version.Metadata.GetProperty("source").GetString());
    }

    [Fact]
    public async Task Get_lists_from_the_portal_when_the_cached_manifest_is_missing_or_does_not_match()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        WriteTree(cli, "data", 45);
        cli.Write("data/part-0/deeper/still/file.txt", "deep\n");
        await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "corpus", "-t", "dataset");
        var cached = Assert.Single(Directory.GetFiles(cli.PathTo("home/.cache/portal/manifests"), "*.tsv"));
        // A damaged cached manifest (one entry lost) must not hide a file from the get.
        File.WriteAllLines(cached, File.ReadAllLines(cached).Where(line => !line.StartsWith("part-2/file-021.txt", StringComparison.Ordinal)));

        var damaged = await cli.OkAsync("artifact", "get", "corpus", "-p", team.Slug, "-o", cli.PathTo("out"));
        Assert.Contains("46 downloaded", damaged);
        AssertSameTree(cli.PathTo("data"), cli.PathTo("out"));

        // Without any cache the portal lists the folders (several at once): the same files.
        cli.With("PORTAL_CACHE_DIR", cli.PathTo("other-cache"));
        var listed = await cli.OkAsync("artifact", "get", "corpus", "-p", team.Slug, "-o", cli.PathTo("out2"));
        Assert.Contains("46 downloaded", listed);
        AssertSameTree(cli.PathTo("data"), cli.PathTo("out2"));
        var again = await cli.OkAsync("artifact", "get", "corpus", "-p", team.Slug, "-o", cli.PathTo("out2"));
        Assert.Contains("0 downloaded", again);
        Assert.Contains("46 already up to date", again);
    }

    [Fact]
    public async Task Get_replaces_only_files_that_differ_locally()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        WriteTree(cli, "data", 12);
        await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "docs", "-t", "documents");
        await cli.OkAsync("artifact", "get", "docs:latest", "-p", team.Slug, "-o", cli.PathTo("out"));

        File.WriteAllText(cli.PathTo("out/part-0/file-003.txt"), "edited locally\n");
        File.Delete(cli.PathTo("out/part-1/file-011.txt"));
        var output = await cli.OkAsync("artifact", "get", "docs:v0", "-p", team.Slug, "-o", cli.PathTo("out"), "--no-cache");

        Assert.Contains("2 downloaded", output);
        Assert.Contains("10 already up to date", output);
        AssertSameTree(cli.PathTo("data"), cli.PathTo("out"));
    }

    [Fact]
    public async Task A_second_folder_is_filled_from_the_content_cache_and_a_damaged_entry_is_downloaded_again()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        WriteTree(cli, "data", 5);
        await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "ds", "-t", "dataset");
        Assert.Contains("5 downloaded", await cli.OkAsync("artifact", "get", "ds", "-p", team.Slug, "-o", cli.PathTo("one")));
        var damaged = Directory.EnumerateFiles(cli.PathTo("home/.cache/portal/blobs"), "*", SearchOption.AllDirectories).First();
        File.WriteAllText(damaged, "not the bytes the digest names");

        var output = await cli.OkAsync("artifact", "get", "ds", "-p", team.Slug, "-o", cli.PathTo("two"));

        Assert.Contains("1 downloaded", output);
        Assert.Contains("4 from cache", output);
        AssertSameTree(cli.PathTo("data"), cli.PathTo("two"));
    }

    [Fact]
    public async Task Put_records_metadata_description_and_aliases()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        cli.Write("data/a.txt", "a\n");
        var metaFile = cli.Write("meta.json", """{"rows": 1, "source": "file"}""");

        await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "ds", "-t", "dataset",
            "--meta", "@" + metaFile, "--meta", "note=café ✓", "--meta", "source=cli", "--description", "Initial *import*", "--alias", "staging");

        using var sdk = app.Sdk(team.Contributor.Token);
        var version = await sdk.ResolveVersionAsync(team.Slug, "ds:staging");
        Assert.Equal(1, version.Metadata.GetProperty("rows").GetInt32());
        Assert.Equal("café ✓", version.Metadata.GetProperty("note").GetString());
        Assert.Equal("cli", version.Metadata.GetProperty("source").GetString());
        Assert.Equal("Initial *import*", version.Description);
    }

    [Fact]
    public async Task Unchanged_put_creates_no_new_version()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        WriteTree(cli, "data", 15);
        await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "ds", "-t", "dataset");

        var second = await cli.RunAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "ds", "-t", "dataset");

        Assert.Equal(0, second.Exit);
        Assert.Contains("no new version", second.Stdout);
        Assert.Contains("ds:v0", second.Stdout);
        using var sdk = app.Sdk(team.Contributor.Token);
        var versions = await sdk.ListVersionsAsync(team.Slug, "ds");
        Assert.Single(versions.Items);
    }

    [Fact]
    public async Task Incremental_put_uploads_exactly_the_changed_files()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        WriteTree(cli, "data", 60);
        await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "ds", "-t", "dataset");
        for (var i = 0; i < 10; i++)
            cli.Write($"data/part-{i * 5 / 10}/file-{i * 5:000}.txt", $"changed content {i} {Guid.NewGuid()}\n");

        var output = await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "ds", "-t", "dataset", "--json");

        using var json = JsonDocument.Parse(output);
        Assert.Equal("committed", json.RootElement.GetProperty("status").GetString());
        Assert.Equal("ds:v1", json.RootElement.GetProperty("version").GetString());
        Assert.Equal(10, json.RootElement.GetProperty("uploadedBlobs").GetInt32());
        Assert.Equal(60, json.RootElement.GetProperty("files").GetInt32());
    }

    [Fact]
    public async Task Digest_cache_skips_rehashing_an_unchanged_tree_but_sees_a_changed_file()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        WriteTree(cli, "data", 8);
        // Files written within the last moments are never trusted from the cache (their mtime could still be reused).
        var old = DateTime.UtcNow.AddMinutes(-5);
        foreach (var file in Directory.EnumerateFiles(cli.PathTo("data"), "*", SearchOption.AllDirectories))
            File.SetLastWriteTimeUtc(file, old);
        await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "ds", "-t", "dataset");

        var unchanged = await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "ds", "-t", "dataset", "--json");
        using (var json = JsonDocument.Parse(unchanged))
        {
            Assert.Equal("unchanged", json.RootElement.GetProperty("status").GetString());
            Assert.Equal(8, json.RootElement.GetProperty("fromCache").GetInt32());
        }

        cli.Write("data/part-0/file-001.txt", "same length? no: different\n");
        var changed = await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "ds", "-t", "dataset", "--json");
        using (var json = JsonDocument.Parse(changed))
        {
            Assert.Equal("ds:v1", json.RootElement.GetProperty("version").GetString());
            Assert.Equal(7, json.RootElement.GetProperty("fromCache").GetInt32());
            Assert.Equal(1, json.RootElement.GetProperty("uploadedBlobs").GetInt32());
        }

        var gone = cli.PathTo("data/part-0/file-007.txt");
        File.Delete(gone);
        await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "ds", "-t", "dataset");
        var cached = File.ReadAllText(cli.PathTo("home/.cache/portal/digests.tsv"));
        Assert.DoesNotContain(gone + "\t", cached);
        Assert.Contains(cli.PathTo("data/part-0/file-006.txt") + "\t", cached);
    }

    [Fact]
    public async Task Diff_lists_added_removed_and_modified_paths()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        WriteTree(cli, "data", 20);
        await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "ds", "-t", "dataset");
        cli.Write("data/part-0/file-002.txt", "modified\n");
        cli.Write("data/new/added.txt", "added\n");
        File.Delete(cli.PathTo("data/part-1/file-015.txt"));
        await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "ds", "-t", "dataset");

        var diff = await cli.OkAsync("artifact", "diff", "ds:v0", "v1", "-p", team.Slug);

        var lines = diff.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("A  new/added.txt", lines);
        Assert.Contains("D  part-1/file-015.txt", lines);
        Assert.Contains("M  part-0/file-002.txt", lines);
        Assert.Equal("ds:v0 -> ds:v1: 1 added, 1 removed, 1 modified, 0 renamed", lines[^1]);

        var json = await cli.OkAsync("artifact", "diff", "ds:v0", "ds:latest", "-p", team.Slug, "--json");
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(3, doc.RootElement.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Alias_set_and_rm_move_and_remove_a_custom_alias()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        WriteTree(cli, "data", 3);
        await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "ds", "-t", "dataset");
        cli.Write("data/extra.txt", "more\n");
        await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "ds", "-t", "dataset", "--alias", "staging");

        var set = await cli.OkAsync("artifact", "alias", "set", "ds:v0", "golden", "-p", team.Slug, "--reason", "baseline");
        Assert.Equal("ds:golden -> v0", set.Trim());
        var versions = await cli.OkAsync("artifact", "versions", "ds", "-p", team.Slug, "--json");
        using (var doc = JsonDocument.Parse(versions))
        {
            var v0 = doc.RootElement.EnumerateArray().Single(v => v.GetProperty("version").GetString() == "v0");
            Assert.Contains("golden", v0.GetProperty("aliases").EnumerateArray().Select(a => a.GetString()));
            var v1 = doc.RootElement.EnumerateArray().Single(v => v.GetProperty("version").GetString() == "v1");
            Assert.Contains("staging", v1.GetProperty("aliases").EnumerateArray().Select(a => a.GetString()));
        }

        await cli.OkAsync("artifact", "alias", "rm", "ds", "golden", "-p", team.Slug);
        var gone = await cli.RunAsync("artifact", "files", "ds:golden", "-p", team.Slug);
        Assert.Equal(1, gone.Exit);
        Assert.StartsWith("error: ", gone.Stderr);
        Assert.Contains("_not_found)", gone.Stderr);
    }

    [Fact]
    public async Task Ls_versions_and_files_print_tables_and_json()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        WriteTree(cli, "data", 4);
        await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "ds", "-t", "dataset");

        var ls = await cli.OkAsync("artifact", "ls", "-p", team.Slug);
        Assert.Contains("ds", ls);
        Assert.Contains("dataset", ls);
        var files = await cli.OkAsync("artifact", "files", "ds", "-p", team.Slug, "--json");
        using var doc = JsonDocument.Parse(files);
        string[] expected = ["part-0/file-000.txt", "part-0/file-001.txt", "part-0/file-002.txt", "part-0/file-003.txt"];
        Assert.Equal(expected, doc.RootElement.EnumerateArray().Select(f => f.GetProperty("path").GetString() ?? "").ToArray());
    }

    [Fact]
    public async Task Which_finds_the_versions_that_hold_a_local_file()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        var unique = $"unique {Guid.NewGuid()}\n";
        cli.Write("data/a/needle.txt", unique);
        cli.Write("data/b.txt", "other\n");
        await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "haystack", "-t", "dataset");
        var copy = cli.Write("elsewhere/copy.txt", unique);

        var which = await cli.OkAsync("artifact", "which", copy);
        Assert.Equal($"{team.Slug}/haystack:v0  a/needle.txt", which.Trim());

        var none = await cli.OkAsync("artifact", "which", cli.Write("elsewhere/new.txt", Guid.NewGuid().ToString()));
        Assert.Contains("is in no version", none);
    }

    [Fact]
    public async Task Use_records_that_a_run_read_a_version()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        WriteTree(cli, "data", 2);
        await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "ds", "-t", "dataset");
        var runId = Guid.Parse((await cli.OkAsync("run", "start", "-p", team.Slug, "-j", "model_training")).Trim());

        await cli.OkAsync("artifact", "use", "ds:latest", "-p", team.Slug, "--run", runId.ToString());

        using var sdk = app.Sdk(team.Contributor.Token);
        var lineage = await sdk.GetRunLineageAsync(team.Slug, runId);
        Assert.Equal("ds", Assert.Single(lineage.Inputs).ArtifactName);
    }
}
