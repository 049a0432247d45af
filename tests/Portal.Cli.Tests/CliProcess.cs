using System.Diagnostics;
using System.Text;

namespace Portal.Cli.Tests;

/// <summary>
/// The built <c>portal</c> running as a real child process (<c>dotnet portal.dll …</c>), for what only a process
/// has: signals, exit codes set by the runtime, stdin. Output is collected as it comes.
/// </summary>
public sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private CliProcess(Process process)
    {
        _process = process;
    }

    public static string PortalDll => typeof(PortalCli).Assembly.Location;

    public int Id => _process.Id;

    public StreamWriter Stdin => _process.StandardInput;

    public string Stdout
    {
        get
        {
            lock (_stdout)
                return _stdout.ToString();
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
                return _stderr.ToString();
        }
    }

    /// <param name="overrides">Variables set on top of the session's (null removes one).</param>
    public static CliProcess Start(CliSession session, IReadOnlyDictionary<string, string?>? overrides, params string[] args) =>
        StartProgram(session, overrides, "dotnet", [PortalDll, .. args]);

    /// <summary>Another program (a terminal emulator around portal, say) in the session's environment.</summary>
    public static CliProcess StartProgram(CliSession session, IReadOnlyDictionary<string, string?>? overrides, string program, params string[] args)
    {
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = session.Root,
        };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        foreach (var (name, value) in session.Environment.Concat(overrides ?? new Dictionary<string, string?>()))
        {
            if (value is null)
                start.Environment.Remove(name);
            else
                start.Environment[name] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var cli = new CliProcess(process);
        process.OutputDataReceived += (_, e) => cli.Append(cli._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => cli.Append(cli._stderr, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return cli;
    }

    /// <summary>Sends SIGINT or SIGTERM ("INT", "TERM") with kill(1), as a shell or a supervisor would.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("kill", $"-{name} {_process.Id}");
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Waits until <paramref name="condition"/> holds, failing with the output so far when it does not in time.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (!condition())
        {
            if (_process.HasExited)
                Assert.Fail($"portal exited {_process.ExitCode} before {what}\nstdout: {Stdout}\nstderr: {Stderr}");
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"timed out waiting for {what}\nstdout: {Stdout}\nstderr: {Stderr}");
            await Task.Delay(25);
        }
    }

    /// <summary>The exit code, once the process has ended (and its output has been read to the end).</summary>
    public async Task<int> ExitAsync(TimeSpan? timeout = null)
    {
        using var wait = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"portal did not exit in time\nstdout: {Stdout}\nstderr: {Stderr}");
        }

        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    private void Append(StringBuilder to, string? line)
    {
        if (line is null)
            return;
        lock (to)
            to.AppendLine(line);
    }
}
