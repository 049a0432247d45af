using System.Diagnostics;

namespace Portal.Cli.Tests.Commands;

/// <summary>Shell completion through the [suggest] directive, and "did you mean" for a mistyped command.</summary>
[Collection(CliCollection.Name)]
public sealed class CompletionCommandTests(CliApp app)
{
    [Fact]
    public async Task The_suggest_directive_lists_what_may_come_next()
    {
        using var cli = new CliSession(app, token: null);

        var commands = await SuggestAsync(cli, "portal arti");
        var subcommands = await SuggestAsync(cli, "portal artifact pu");
        var options = await SuggestAsync(cli, "portal artifact put --me");

        Assert.Equal(["artifact"], commands);
        Assert.Equal(["put"], subcommands);
        Assert.Contains("--meta", options);
        Assert.Contains("--message", options);
    }

    [SkippableFact]
    public async Task The_bash_script_completes_through_portal_itself()
    {
        Skip.If(OperatingSystem.IsWindows(), "bash completion is for Unix shells");
        if (OperatingSystem.IsWindows())
            return;
        using var cli = new CliSession(app, token: null);
        var script = cli.Write("portal.bash", await cli.OkAsync("completion", "bash"));
        // The script calls "portal": a stand-in on PATH runs the built CLI.
        var wrapper = cli.Write("bin/portal", $"#!/bin/sh\nexec dotnet '{CliProcess.PortalDll}' \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"""
            source '{script}'
            COMP_LINE='portal artifact ve'; COMP_POINT=${"{#COMP_LINE}"}; COMP_WORDS=(portal artifact ve); COMP_CWORD=2
            _portal_complete
            printf '%s\n' "${"{COMPREPLY[@]}"}"
            """);
        start.Environment["PATH"] = cli.PathTo("bin") + ":" + Environment.GetEnvironmentVariable("PATH");
        using var bash = Process.Start(start)!;
        var output = await bash.StandardOutput.ReadToEndAsync();
        await bash.WaitForExitAsync();

        Assert.Equal(["versions"], Lines(output));
    }

    [Theory]
    [InlineData("zsh", "compdef _portal_complete portal")]
    [InlineData("fish", "complete -c portal")]
    public async Task Zsh_and_fish_scripts_use_the_same_directive(string shell, string registration)
    {
        using var cli = new CliSession(app, token: null);

        var script = await cli.OkAsync("completion", shell);

        Assert.Contains("[suggest:", script);
        Assert.Contains(registration, script);
    }

    [Fact]
    public async Task A_mistyped_command_gets_a_did_you_mean()
    {
        using var cli = new CliSession(app, token: null);

        var top = await cli.RunAsync("artefact", "ls");
        var sub = await cli.RunAsync("artifact", "verisons", "ds");
        var option = await cli.RunAsync("artifact", "ls", "--jsn");
        var nothingClose = await cli.RunAsync("artifact", "xyzzy");

        Assert.Equal(2, top.Exit);
        Assert.Contains("Did you mean 'artifact'?", top.Stderr);
        Assert.Equal(2, sub.Exit);
        Assert.Contains("Did you mean 'versions'?", sub.Stderr);
        Assert.Equal(2, option.Exit);
        Assert.Contains("Did you mean '--json'?", option.Stderr);
        Assert.Equal(2, nothingClose.Exit);
        Assert.DoesNotContain("Did you mean", nothingClose.Stderr);
    }

    /// <summary>What the completion scripts run: the whole line and the cursor at its end.</summary>
    private static async Task<string[]> SuggestAsync(CliSession cli, string line) =>
        Lines(await cli.OkAsync($"[suggest:{line.Length}]", line));

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
