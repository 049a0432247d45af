using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Portal.Cli.Tests;

/// <summary>Every failure ends in "error: …" on stderr and a non-zero exit code; nothing half-done is left behind.</summary>
[Collection(CliCollection.Name)]
public sealed class ErrorTests(CliApp app)
{
    [Fact]
    public async Task A_bad_token_is_reported_with_the_servers_message_and_code()
    {
        using var cli = new CliSession(app, "ptl_wrongwrongwrongwrongwrongwrongwrong");

        var result = await cli.RunAsync("artifact", "ls", "-p", "anything");

        Assert.Equal(1, result.Exit);
        Assert.Matches(@"^error: .+ \(unauthorized\)\s*$", result.Stderr);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task An_unknown_project_is_reported_and_nothing_is_uploaded()
    {
        var user = await app.Data.CreateUserAsync();
        using var cli = new CliSession(app, user.Token);
        cli.Write("data/a.txt", "a");

        var result = await cli.RunAsync("artifact", "put", cli.PathTo("data"), "-p", "no-such-project-" + Guid.NewGuid().ToString("N")[..8], "-n", "ds", "-t", "dataset");

        Assert.Equal(1, result.Exit);
        Assert.Contains($"({ErrorCodes.ProjectNotFound})", result.Stderr);
    }

    [Fact]
    public async Task An_unreadable_file_stops_the_put_and_names_the_file()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        cli.Write("data/ok.txt", "fine");
        var unreadable = cli.PathTo("data/unreadable.txt");
        // Root reads any file whatever its mode, so a named pipe (which put refuses to read) stands in for a file that
        // cannot be opened. A link to nowhere no longer does: put skips it with a warning.
        if (Environment.UserName == "root" || OperatingSystem.IsWindows())
        {
            using var mkfifo = System.Diagnostics.Process.Start("mkfifo", unreadable);
            await mkfifo.WaitForExitAsync();
        }
        else
        {
            cli.Write("data/unreadable.txt", "secret");
            File.SetUnixFileMode(unreadable, UnixFileMode.None);
        }

        var result = await cli.RunAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "ds", "-t", "dataset");

        Assert.Equal(1, result.Exit);
        Assert.Contains($"error: cannot read {unreadable}", result.Stderr);
        using var sdk = app.Sdk(team.Contributor.Token);
        Assert.Empty(await sdk.ListArtifactsAsync(team.Slug));
    }

    [Fact]
    public async Task A_server_that_is_down_is_reported_as_a_connection_failure()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var cli = new CliSession(app, "ptl_whatever");
        cli.With("PORTAL_URL", $"http://127.0.0.1:{port}").With("PORTAL_RETRIES", "1");

        var result = await cli.RunAsync("whoami");

        Assert.Equal(1, result.Exit);
        Assert.Contains($"127.0.0.1:{port}", result.Stderr);
        Assert.Contains($"({PortalApiException.ConnectionFailed})", result.Stderr);
    }

    [Fact]
    public async Task Not_logged_in_says_how_to_log_in()
    {
        using var cli = new CliSession(app, token: null);

        var result = await cli.RunAsync("whoami");

        Assert.Equal(1, result.Exit);
        Assert.Contains("portal login", result.Stderr);
    }

    [Fact]
    public async Task Usage_errors_exit_with_2()
    {
        using var cli = new CliSession(app, "ptl_whatever");

        var result = await cli.RunAsync("artifact", "put", "-n", "ds");

        Assert.Equal(2, result.Exit);
        Assert.StartsWith("error: ", result.Stderr);
    }

    [Fact]
    public async Task A_file_whose_bytes_do_not_match_its_digest_is_not_written()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        cli.Write("data/good.txt", "good bytes\n");
        var content = $"will be corrupted {Guid.NewGuid()}\n";
        cli.Write("data/bad.txt", content);
        await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "ds", "-t", "dataset");
        var digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));
        await app.CorruptBlobAsync(digest);
        cli.With("PORTAL_RETRIES", "0");

        var result = await cli.RunAsync("artifact", "get", "ds", "-p", team.Slug, "-o", cli.PathTo("out"));

        Assert.Equal(1, result.Exit);
        Assert.Contains("bad.txt", result.Stderr);
        Assert.Contains(ErrorCodes.DigestMismatch, result.Stderr);
        Assert.False(File.Exists(cli.PathTo("out/bad.txt")));
        Assert.Equal("good bytes\n", File.ReadAllText(cli.PathTo("out/good.txt")));
        Assert.Empty(Directory.EnumerateFiles(cli.PathTo("out"), "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task An_upload_the_server_rejects_fails_the_put_and_abandons_the_pending_version()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        var file = cli.Write("data/a.txt", "real bytes\n");
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddHours(-1));
        await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "ds", "-t", "dataset");
        // A digest cache entry that lies about the file (as after an edit that kept size, mtime and inode) makes the
        // manifest name bytes the upload does not carry; the server must refuse them.
        var digests = cli.PathTo("home/.cache/portal/digests.tsv");
        var line = File.ReadAllLines(digests).Single(l => l.StartsWith(file + "\t", StringComparison.Ordinal));
        File.WriteAllText(digests, line[..^64] + new string('0', 64) + "\n");

        var result = await cli.RunAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "ds", "-t", "dataset");

        Assert.Equal(1, result.Exit);
        Assert.Contains($"({ErrorCodes.DigestMismatch})", result.Stderr);
        var pending = await app.WithServicesAsync(async services =>
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<Portal.Core.Data.PortalDbContext>>().CreateDbContextAsync();
            return await db.ArtifactVersions.CountAsync(v => v.State == Portal.Core.Features.Artifacts.VersionState.Pending);
        });
        Assert.Equal(0, pending);
    }

    [Fact]
    public async Task Get_refuses_to_write_through_a_link_that_leads_outside_the_folder()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        cli.Write("data/link/payload.txt", "payload\n");
        cli.Write("data/plain.txt", "plain\n");
        await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "ds", "-t", "dataset");
        Directory.CreateDirectory(cli.PathTo("outside"));
        Directory.CreateDirectory(cli.PathTo("out"));
        Directory.CreateSymbolicLink(cli.PathTo("out/link"), cli.PathTo("outside"));

        var result = await cli.RunAsync("artifact", "get", "ds", "-p", team.Slug, "-o", cli.PathTo("out"));

        Assert.Equal(1, result.Exit);
        Assert.Contains("refusing to write \"link/payload.txt\"", result.Stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(cli.PathTo("outside")));
        // Paths are checked before anything is written.
        Assert.False(File.Exists(cli.PathTo("out/plain.txt")));
    }

    [Fact]
    public async Task Get_refuses_links_below_a_folder_it_has_already_checked()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        cli.Write("data/d/a.txt", "a\n");
        cli.Write("data/d/b.txt", "b\n");
        cli.Write("data/d/sub/c.txt", "c\n");
        await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "ds", "-t", "dataset");
        await cli.OkAsync("artifact", "get", "ds", "-p", team.Slug, "-o", cli.PathTo("out"));
        cli.Write("outside/secret.txt", "secret\n");

        // d/ is a real folder (checked once for all its files); a file link inside it is still refused.
        File.Delete(cli.PathTo("out/d/b.txt"));
        File.CreateSymbolicLink(cli.PathTo("out/d/b.txt"), cli.PathTo("outside/secret.txt"));
        var file = await cli.RunAsync("artifact", "get", "ds", "-p", team.Slug, "-o", cli.PathTo("out"));
        Assert.Equal(1, file.Exit);
        Assert.Contains("refusing to write \"d/b.txt\"", file.Stderr);
        Assert.Equal("secret\n", File.ReadAllText(cli.PathTo("outside/secret.txt")));

        // So is a folder link below it.
        File.Delete(cli.PathTo("out/d/b.txt"));
        Directory.Delete(cli.PathTo("out/d/sub"), recursive: true);
        Directory.CreateSymbolicLink(cli.PathTo("out/d/sub"), cli.PathTo("outside"));
        var folder = await cli.RunAsync("artifact", "get", "ds", "-p", team.Slug, "-o", cli.PathTo("out"));
        Assert.Equal(1, folder.Exit);
        Assert.Contains("refusing to write \"d/sub/c.txt\"", folder.Stderr);
        Assert.False(File.Exists(cli.PathTo("outside/c.txt")));
        Assert.False(File.Exists(cli.PathTo("out/d/b.txt"))); // checked before anything was written
    }

    [Fact]
    public void The_output_folder_checks_each_folder_and_file_for_links()
    {
        var root = Path.Combine(Path.GetTempPath(), "portal-out-" + Guid.NewGuid().ToString("N"));
        var outside = root + "-outside";
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "d"));
            Directory.CreateDirectory(outside);
            File.WriteAllText(Path.Combine(root, "d", "plain.txt"), "plain");
            File.WriteAllText(Path.Combine(outside, "x.txt"), "x");
            Directory.CreateSymbolicLink(Path.Combine(root, "d", "sub"), outside);
            File.CreateSymbolicLink(Path.Combine(root, "d", "link.txt"), Path.Combine(outside, "x.txt"));
            File.CreateSymbolicLink(Path.Combine(root, "d", "dangling"), Path.Combine(outside, "nowhere"));
            var folder = new OutputFolder(root);

            var (plain, existing) = folder.Resolve("d/plain.txt");
            Assert.Equal(Path.Combine(root, "d", "plain.txt"), plain);
            Assert.Equal(5, existing?.Length);
            Assert.Null(folder.Resolve("d/new.txt").Existing);
            Assert.Null(folder.Resolve("e/f/g.txt").Existing);
            // The same folders again, now answered from what was checked: links below them are still refused.
            Assert.Throws<CliException>(() => folder.Resolve("d/sub/x.txt"));
            Assert.Throws<CliException>(() => folder.Resolve("d/sub/y/z.txt"));
            Assert.Throws<CliException>(() => folder.Resolve("d/link.txt"));
            Assert.Throws<CliException>(() => folder.Resolve("d/dangling"));
            Assert.Throws<CliException>(() => folder.Resolve("d/dangling/x.txt"));
            Assert.Equal(Path.Combine(root, "d", "plain.txt"), folder.Resolve("d/plain.txt").Target);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public void Manifest_paths_that_climb_out_of_the_folder_are_refused()
    {
        var root = Path.Combine(Path.GetTempPath(), "portal-safe-" + Guid.NewGuid().ToString("N"));
        foreach (var path in new[] { "../x", "a/../../x", "/etc/passwd", "a//b", "./a", "a\\b" })
            Assert.Throws<CliException>(() => global::Portal.Cli.Commands.ArtifactGetCommand.SafeTarget(root, path));
        Assert.Equal(Path.Combine(root, "a", "b.txt"), global::Portal.Cli.Commands.ArtifactGetCommand.SafeTarget(root, "a/b.txt"));
    }
}
