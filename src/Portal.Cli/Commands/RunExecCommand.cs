using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Portal.Client.Models;

namespace Portal.Cli.Commands;

/// <summary>
/// <c>portal run exec -- cmd args…</c>: starts a run, runs the command with its output passed through, and finishes
/// the run as <c>finished</c> (exit 0), <c>failed</c>, or <c>killed</c> when SIGINT/SIGTERM stopped it (the signal is
/// passed on to the command, and portal exits 130/143 once it has ended). The command sees <c>PORTAL_RUN_ID</c> and
/// <c>PORTAL_PROJECT</c>, so <c>portal artifact put</c> inside it is recorded as produced by the run, and every
/// version it downloads (<c>portal artifact get</c>, or the .NET SDK) as used by it.
/// </summary>
internal static class RunExecCommand
{
    /// <summary>Shells use 127 for "command not found"; scripts already know it.</summary>
    private const int ExitCannotStart = 127;

    public static Command Create(CliContext cli)
    {
        var project = CommonOptions.Project();
        var jobType = new Option<string>("--job-type", "-j") { Description = "Job type of the run.", DefaultValueFactory = _ => "command" };
        var name = new Option<string>("--name") { Description = "Run name (default: run-<short id>)." };
        var config = new Option<string[]>("--config", "-c") { Description = "Config as key=value or @file.json (repeatable)." };
        var tail = new Option<int>("--tail") { Description = "Keep the last N lines of the command's stdout in the run summary (stdout_tail)." };
        var commandLine = new Argument<string[]>("command") { Description = "The command and its arguments, after --.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("exec", "Run a command and record it as a run (exit status, git commit, host, duration).")
        {
            project, jobType, name, config, tail, commandLine,
        };
        command.SetAction(async (parse, ct) =>
        {
            var slug = cli.Project(parse.GetValue(project));
            var argv = parse.GetRequiredValue(commandLine);
            var tailLines = Math.Max(0, parse.GetValue(tail));
            using var client = cli.CreateClient();
            var git = GitInfo.Read(cli.WorkingDirectory);
            var configValue = CliJson.ParseKeyValues(parse.GetValue(config), "--config")
                ?? RunCommand.Summary(new Dictionary<string, object?> { ["command"] = string.Join(' ', argv) });
            var run = await client.CreateRunAsync(slug, new CreateRunRequest(
                parse.GetRequiredValue(jobType), parse.GetValue(name), configValue, git?.Commit, git?.Remote, Environment.MachineName), ct);
            cli.Info($"run {run.Id} started");

            var start = new ProcessStartInfo(argv[0])
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = cli.WorkingDirectory,
            };
            foreach (var arg in argv.Skip(1))
                start.ArgumentList.Add(arg);
            foreach (var (key, value) in cli.Overrides)
                start.Environment[key] = value;
            start.Environment["PORTAL_RUN_ID"] = run.Id.ToString();
            start.Environment["PORTAL_PROJECT"] = slug;

            var stopwatch = Stopwatch.StartNew();
            var lastLines = new Queue<string>();
            Process process;
            try
            {
                process = Process.Start(start) ?? throw new InvalidOperationException("no process was started");
            }
            catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                await client.FinishRunAsync(slug, run.Id, new FinishRunRequest("failed", RunCommand.Summary(new Dictionary<string, object?>
                {
                    ["error"] = $"cannot start {argv[0]}: {ex.Message}",
                })), CancellationToken.None);
                throw new CliException($"cannot start {argv[0]}: {ex.Message} (run {run.Id} marked failed)", ExitCannotStart, CliErrorCodes.CommandFailed);
            }

            using (process)
            {
                var stdoutPump = PumpAsync(process.StandardOutput, cli.Stdout, line =>
                {
                    if (tailLines == 0)
                        return;
                    lastLines.Enqueue(line);
                    if (lastLines.Count > tailLines)
                        lastLines.Dequeue();
                });
                var stderrPump = PumpAsync(process.StandardError, cli.Stderr, null);
                // A signal to portal is passed on to the command, which decides how to stop (a training script saves a
                // checkpoint); a second one kills it. In-process callers cancel the token instead: that stops it too.
                var stop = new ChildStop(process);
                using (cli.Signals?.ForwardTo(stop.Signal))
                using (cli.Signals is null ? ct.Register(() => stop.Signal(PosixSignal.SIGTERM)) : default)
                {
                    await process.WaitForExitAsync(CancellationToken.None);
                    await Task.WhenAll(stdoutPump, stderrPump);
                }

                var exitCode = process.ExitCode;
                var status = stop.Requested ? "killed" : exitCode == 0 ? "finished" : "failed";

                var summary = new Dictionary<string, object?>
                {
                    ["exit_code"] = exitCode,
                    ["duration_seconds"] = Math.Round(stopwatch.Elapsed.TotalSeconds, 3),
                };
                if (tailLines > 0)
                    summary["stdout_tail"] = string.Join('\n', lastLines);
                // The run must be closed even when the user pressed Ctrl+C, or it would stay "running" for ever; the
                // token is cancelled by then, so the call gets a short time of its own.
                using (var closing = new CancellationTokenSource(CloseTimeout))
                    await client.FinishRunAsync(slug, run.Id, new FinishRunRequest(status, RunCommand.Summary(summary)), closing.Token);
                cli.Info($"run {run.Id} {status} (exit {exitCode}) in {stopwatch.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s");
                ct.ThrowIfCancellationRequested();
                return exitCode;
            }
        });
        return command;
    }

    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Passes the first stop request to the command as its signal; any further one kills its process tree.</summary>
    private sealed class ChildStop(Process process)
    {
        private int _requests;

        public bool Requested => Volatile.Read(ref _requests) > 0;

        public void Signal(PosixSignal signal)
        {
            try
            {
                if (Interlocked.Increment(ref _requests) > 1 || OperatingSystem.IsWindows())
                {
                    process.Kill(entireProcessTree: true);
                    return;
                }

                // Ctrl+C at a terminal reaches every process of the foreground group, the command included; passing
                // it on as well would interrupt the command's own clean-up (a second KeyboardInterrupt in Python).
                if (signal == PosixSignal.SIGINT && NativeSignal.TerminalInterruptsOurGroup())
                    return;
                NativeSignal.Send(process.Id, signal);
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Already gone: nothing to stop.
            }
        }
    }

    private static async Task PumpAsync(StreamReader from, TextWriter to, Action<string>? onLine)
    {
        while (await from.ReadLineAsync() is { } line)
        {
            to.WriteLine(line);
            onLine?.Invoke(line);
        }
    }
}
