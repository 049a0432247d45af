using System.Security.Cryptography;
using System.Text.Json;
using Portal.Cli.Commands;

namespace Portal.Cli.Tests.Commands;

/// <summary><c>portal artifact put --ref</c> and the batch uploads of small files, against the real portal on Kestrel.</summary>
[Collection(CliCollection.Name)]
public sealed class ArtifactPutReferenceTests(CliApp app)
{
    [Fact]
    public async Task References_are_recorded_with_the_sha256_of_their_bytes_and_are_not_uploaded()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        cli.Write("data/local.txt", "uploaded\n");
        var shared = cli.Write("nfs/weights.bin", new byte[] { 1, 2, 3, 4, 5 });
        var stated = new string('a', 64);

        var output = await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "model", "-t", "model",
            "--ref", new Uri(shared).AbsoluteUri,
            "--ref", $"site/favicon.svg={app.BaseUrl}/favicon.svg",
            "--ref", $"s3://bucket/shards/part-0.parquet#sha256={stated}&size=1234");

        Assert.Equal("model:v0", output.Trim());
        using var sdk = app.Sdk(team.Contributor.Token);
        var version = await sdk.ResolveVersionAsync(team.Slug, "model:v0");
        var root = await sdk.ListVersionFilesAsync(team.Slug, version.Id, limit: 100);
        var weights = Assert.Single(root.Items, i => i.Path == "weights.bin");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(new byte[] { 1, 2, 3, 4, 5 })), weights.Digest);
        Assert.Equal(5, weights.Size);
        Assert.Equal(new Uri(shared).AbsoluteUri, weights.Ref);
        var parquet = Assert.Single(root.Items, i => i.Path == "part-0.parquet");
        Assert.Equal(stated, parquet.Digest);
        Assert.Equal(1234, parquet.Size);
        Assert.Equal("s3://bucket/shards/part-0.parquet", parquet.Ref);

        var site = await sdk.ListVersionFilesAsync(team.Slug, version.Id, folder: "site/", limit: 100);
        var favicon = Assert.Single(site.Items);
        using var http = new HttpClient();
        var served = await http.GetByteArrayAsync(new Uri($"{app.BaseUrl}/favicon.svg"));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(served)), favicon.Digest);
        Assert.Equal(served.Length, favicon.Size);

        // Only the local file's bytes were uploaded: the stated digest was never sent, and the portal does not hold it.
        Assert.Contains(stated, await sdk.FindMissingBlobsAsync([stated]));
    }

    [Theory]
    [InlineData("s3://bucket/key.bin", "state their checksum")]
    [InlineData("s3://bucket/key.bin#sha256=xyz&size=1", "64 hexadecimal")]
    [InlineData("s3://bucket/key.bin#sha256=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "both sha256")]
    [InlineData("not a uri", "give a URI")]
    [InlineData("https://example.test/", "names no file")]
    [InlineData("file:///no/such/file.bin", "no such file")]
    public async Task Bad_references_are_refused_before_anything_is_sent(string reference, string message)
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);

        var result = await cli.RunAsync("artifact", "put", "-p", team.Slug, "-n", "refs", "-t", "dataset", "--ref", reference);

        Assert.NotEqual(0, result.Exit);
        Assert.Contains(message, result.Stderr, StringComparison.OrdinalIgnoreCase);
        using var sdk = app.Sdk(team.Contributor.Token);
        await Assert.ThrowsAsync<PortalApiException>(() => sdk.ResolveVersionAsync(team.Slug, "refs:latest"));
    }

    [Fact]
    public async Task A_reference_and_a_local_file_on_one_path_are_refused()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        cli.Write("data/key.bin", "local\n");

        var result = await cli.RunAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "clash", "-t", "dataset",
            "--ref", $"s3://bucket/key.bin#sha256={new string('b', 64)}&size=3");

        Assert.Equal(PortalCli.ExitUsage, result.Exit);
        Assert.Contains("both a local file and a --ref", result.Stderr);
    }

    [Fact]
    public async Task Many_small_files_travel_in_batches_and_large_ones_alone()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        for (var i = 0; i < 1_500; i++)
            cli.Write($"data/small/{i:0000}.txt", $"row {i}\n");
        var big = new byte[(int)ArtifactPutCommand.BatchFileLimit + 1];
        RandomNumberGenerator.Fill(big);
        cli.Write("data/big.bin", big);

        var output = await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "many", "-t", "dataset");

        Assert.Equal("many:v0", output.Trim());
        using var sdk = app.Sdk(team.Contributor.Token);
        Assert.Equal(1_501, (await sdk.ResolveVersionAsync(team.Slug, "many:v0")).FileCount);
        await cli.OkAsync("artifact", "get", "many", "-p", team.Slug, "-o", cli.PathTo("out"), "--no-cache");
        Assert.Equal(big, File.ReadAllBytes(cli.PathTo("out/big.bin")));
        Assert.Equal("row 1499\n", File.ReadAllText(cli.PathTo("out/small/1499.txt")));
    }

    [Fact]
    public async Task An_unchanged_tree_is_recognised_from_its_digest_without_sending_the_manifest()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        for (var i = 0; i < 50; i++)
            cli.Write($"data/{i}.txt", $"{i}\n");
        await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "same", "-t", "dataset");

        using (var unchanged = JsonDocument.Parse(await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "same", "-t", "dataset", "--json")))
        {
            Assert.Equal("unchanged", unchanged.RootElement.GetProperty("status").GetString());
            Assert.Equal("nothing", unchanged.RootElement.GetProperty("sent").GetString());
            Assert.Equal("same:v0", unchanged.RootElement.GetProperty("version").GetString());
        }

        // Another type is not "unchanged": the portal is asked and refuses the mismatch.
        var mismatch = await cli.RunAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "same", "-t", "model");
        Assert.NotEqual(0, mismatch.Exit);
        Assert.Contains("artifact_type_mismatch", mismatch.Stderr);

        // A change is sent as a patch of latest (this machine put latest, so it knows its manifest): upserts and deletes.
        cli.Write("data/0.txt", "changed\n");
        cli.Write("data/new/added.txt", "added\n");
        File.Delete(cli.PathTo("data/7.txt"));
        using (var changed = JsonDocument.Parse(await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "same", "-t", "dataset", "--json")))
        {
            Assert.Equal("same:v1", changed.RootElement.GetProperty("version").GetString());
            Assert.Equal("patch", changed.RootElement.GetProperty("sent").GetString());
        }
        await cli.OkAsync("artifact", "get", "same:v1", "-p", team.Slug, "-o", cli.PathTo("v1"), "--no-cache");
        Assert.Equal("changed\n", File.ReadAllText(cli.PathTo("v1/0.txt")));
        Assert.Equal("added\n", File.ReadAllText(cli.PathTo("v1/new/added.txt")));
        Assert.False(File.Exists(cli.PathTo("v1/7.txt")));
        Assert.Equal(50, Directory.EnumerateFiles(cli.PathTo("v1"), "*", SearchOption.AllDirectories).Count());

        // Without the cached manifest (another machine), the whole manifest goes.
        Directory.Delete(cli.PathTo("home/.cache/portal/manifests"), recursive: true);
        cli.Write("data/1.txt", "changed too\n");
        using var full = JsonDocument.Parse(await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "same", "-t", "dataset", "--json"));
        Assert.Equal("same:v2", full.RootElement.GetProperty("version").GetString());
        Assert.Equal("manifest", full.RootElement.GetProperty("sent").GetString());
    }

    [Fact]
    public void Upload_units_put_large_files_alone_and_cap_batches_by_count_and_bytes()
    {
        var files = Enumerable.Range(0, 2_500)
            .Select(i => new HashedFile($"f{i}", new FileInfo($"/tmp/f{i}"), i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture), i < 2 ? ArtifactPutCommand.BatchFileLimit * 4 : 100))
            .ToList();

        var units = ArtifactPutCommand.UploadUnits(files).ToList();

        Assert.Equal(2, units.TakeWhile(u => u.Count == 1).Count());
        Assert.All(units.Skip(2), u => Assert.True(u.Count <= 1_000));
        Assert.Equal(2_500, units.Sum(u => u.Count));
        Assert.Equal(files.Select(f => f.Digest).Order(), units.SelectMany(u => u).Select(f => f.Digest).Order());
    }
}
