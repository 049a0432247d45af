using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;

namespace Portal.Cli.Tests;

/// <summary>
/// Ctrl+C and SIGTERM sent to a real <c>portal</c> process in the middle of a transfer: it exits 130 or 143, leaves no
/// temporary file, no pending version and no run left "running". The portal is reached through a proxy that passes
/// 1 MB/s, so an 8 MB file is still on its way when the signal comes.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class SignalTests(CliApp app)
{
    private const int Rate = 1024 * 1024;
    private const int FileSize = 8 * 1024 * 1024;
    private const long MidTransfer = 1024 * 1024;

    public static TheoryData<string, int> Signals => new() { { "INT", 130 }, { "TERM", 143 } };

    [Theory]
    [MemberData(nameof(Signals))]
    public async Task A_put_stopped_mid_upload_exits_with_the_signal_and_aborts_its_pending_version(string signal, int exitCode)
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        cli.Write("data/big.bin", RandomNumberGenerator.GetBytes(FileSize));
        await using var proxy = new ThrottlingProxy(app.BaseUrl, Rate);

        using var put = CliProcess.Start(cli, Through(proxy), "artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "big", "-t", "dataset");
        await put.WaitUntilAsync(() => proxy.BytesUp > MidTransfer, "the upload to be under way");
        put.Signal(signal);

        Assert.Equal(exitCode, await put.ExitAsync());
        Assert.Contains(signal == "INT" ? "interrupted (SIGINT)" : "terminated (SIGTERM)", put.Stderr);
        Assert.DoesNotContain("Exception", put.Stderr);
        var states = await VersionStatesAsync(team.Slug);
        Assert.NotEmpty(states); // the signal came after the pending version was created …
        Assert.DoesNotContain(VersionState.Pending, states); // … and it was aborted, not left open
        Assert.DoesNotContain(VersionState.Committed, states);
    }

    [Theory]
    [MemberData(nameof(Signals))]
    public async Task A_get_stopped_mid_download_exits_with_the_signal_and_leaves_no_temporary_file(string signal, int exitCode)
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        cli.Write("data/big.bin", RandomNumberGenerator.GetBytes(FileSize));
        await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "big", "-t", "dataset");
        await using var proxy = new ThrottlingProxy(app.BaseUrl, Rate);

        using var get = CliProcess.Start(cli, Through(proxy), "artifact", "get", "big:v0", "-p", team.Slug, "-o", cli.PathTo("out"), "--no-cache");
        await get.WaitUntilAsync(() => proxy.BytesDown > MidTransfer, "the download to be under way");
        get.Signal(signal);

        Assert.Equal(exitCode, await get.ExitAsync());
        Assert.DoesNotContain("Exception", get.Stderr);
        Assert.Empty(Directory.EnumerateFiles(cli.PathTo("out"), "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }));
    }

    [Theory]
    [MemberData(nameof(Signals))]
    public async Task Run_exec_passes_the_signal_to_its_command_waits_for_it_and_marks_the_run_killed(string signal, int exitCode)
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        cli.Write("data/big.bin", RandomNumberGenerator.GetBytes(FileSize));
        await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "big", "-t", "dataset");
        await using var proxy = new ThrottlingProxy(app.BaseUrl, Rate);

        using var exec = CliProcess.Start(cli, Through(proxy), "run", "exec", "-p", team.Slug, "--",
            "dotnet", CliProcess.PortalDll, "artifact", "get", "big:v0", "-o", cli.PathTo("out"), "--no-cache");
        await exec.WaitUntilAsync(() => proxy.BytesDown > MidTransfer, "the wrapped download to be under way");
        exec.Signal(signal);

        Assert.Equal(exitCode, await exec.ExitAsync());
        Assert.DoesNotContain("Exception", exec.Stderr);
        Assert.Empty(Directory.EnumerateFiles(cli.PathTo("out"), "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }));
        using var sdk = app.Sdk(team.Contributor.Token);
        var run = Assert.Single((await sdk.ListRunsAsync(team.Slug)).Items);
        Assert.Equal("killed", run.Status);
        Assert.Equal(exitCode, run.Summary.GetProperty("exit_code").GetInt32()); // the command stopped on the forwarded signal
        // The get inside the run had recorded its version as an input before it was stopped.
        Assert.Contains((await sdk.GetRunLineageAsync(team.Slug, run.Id)).Inputs, input => input.ArtifactName == "big");
    }

    [Theory]
    [MemberData(nameof(Signals))]
    public async Task Login_waiting_for_a_token_on_stdin_stops_on_the_signal(string signal, int exitCode)
    {
        using var cli = new CliSession(app, token: null);

        using var login = CliProcess.Start(cli, null, "login", "--url", app.BaseUrl);
        await login.WaitUntilAsync(() => login.Stderr.Contains("stdin", StringComparison.Ordinal), "login to wait for the token");
        login.Signal(signal);

        Assert.Equal(exitCode, await login.ExitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(File.Exists(Path.Combine(cli.ConfigFolder, "config.json")));
    }

    [SkippableFact]
    public async Task Ctrl_c_at_a_terminal_reaches_the_command_wrapped_by_run_exec_once()
    {
        Skip.IfNot(File.Exists("/usr/bin/script") && File.Exists("/usr/bin/python3"), "needs script(1) for a terminal and python3 for the command");
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        // The command counts the SIGINTs it gets, and ends 2 s after the first.
        var child = cli.Write("count_interrupts.py", """
            import signal, sys, time
            count = 0
            def interrupted(signum, frame):
                global count
                count += 1
            signal.signal(signal.SIGINT, interrupted)
            print("ready", flush=True)
            while count == 0:
                time.sleep(0.05)
            time.sleep(2)
            print(f"interrupts: {count}", flush=True)
            """);

        // script(1) runs portal on a terminal of its own; a ^C written to that terminal is a real Ctrl+C.
        using var terminal = CliProcess.StartProgram(cli, null, "/usr/bin/script", "-qfec",
            $"dotnet '{CliProcess.PortalDll}' run exec -p {team.Slug} -- python3 '{child}'", "/dev/null");
        await terminal.WaitUntilAsync(() => terminal.Stdout.Contains("ready", StringComparison.Ordinal), "the command to start");
        await terminal.Stdin.WriteAsync('\x03');
        await terminal.Stdin.FlushAsync();

        Assert.Equal(130, await terminal.ExitAsync());
        Assert.Contains("interrupts: 1", terminal.Stdout);
        using var sdk = app.Sdk(team.Contributor.Token);
        Assert.Equal("killed", Assert.Single((await sdk.ListRunsAsync(team.Slug)).Items).Status);
    }

    private static Dictionary<string, string?> Through(ThrottlingProxy proxy) => new() { ["PORTAL_URL"] = proxy.Url };

    private Task<List<VersionState>> VersionStatesAsync(string slug) =>
        app.WithServicesAsync(async services =>
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await db.ArtifactVersions.Where(v => v.Artifact.Project.Slug == slug).Select(v => v.State).ToListAsync();
        });
}
