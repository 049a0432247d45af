using System.Runtime.InteropServices;

namespace Portal.Cli;

/// <summary>
/// SIGINT (Ctrl+C) and SIGTERM for the whole process, in one place: the first one cancels <see cref="Token"/>, so the
/// command stops its transfers, removes its temporary files, aborts a pending version and closes a wrapped run, and
/// the process then exits 130 (SIGINT) or 143 (SIGTERM) as shells expect. A further signal (half a second or more
/// later) ends the process at once, unless a command that passes signals on (<c>run exec</c>) has taken them over.
/// </summary>
public sealed class CliSignals : IDisposable
{
    public const int ExitInterrupted = 128 + 2;
    public const int ExitTerminated = 128 + 15;

    /// <summary>
    /// One request can arrive twice: a terminal sends Ctrl+C to every process in the foreground group, and a wrapper
    /// that passes signals on (a supervisor, a script's trap, <c>timeout</c>) may send it again. A repeat this soon
    /// after the first is the same request, not an impatient second one.
    /// </summary>
    private static readonly TimeSpan SameRequest = TimeSpan.FromMilliseconds(500);

    private readonly CancellationTokenSource _cancel = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly Lock _lock = new();
    private long _firstAt;
    private Action<PosixSignal>? _forward;

    private CliSignals()
    {
    }

    /// <summary>Cancelled by the first SIGINT or SIGTERM.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>The first signal received, if any.</summary>
    public PosixSignal? Received { get; private set; }

    /// <summary>Starts listening; on platforms without POSIX signals (Windows) Ctrl+C arrives as SIGINT all the same.</summary>
    public static CliSignals Listen()
    {
        var signals = new CliSignals();
        signals._registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, signals.OnSignal));
        signals._registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, signals.OnSignal));
        return signals;
    }

    /// <summary>The exit code for a command that stopped because of <paramref name="signal"/>.</summary>
    public static int ExitCodeFor(PosixSignal signal) => signal == PosixSignal.SIGTERM ? ExitTerminated : ExitInterrupted;

    /// <summary>
    /// Hands every signal, the first included, to <paramref name="forward"/> until the returned handle is disposed;
    /// repeats then no longer end the process, so a wrapped command can take its time to stop.
    /// </summary>
    public IDisposable ForwardTo(Action<PosixSignal> forward)
    {
        PosixSignal? already;
        lock (_lock)
        {
            _forward = forward;
            already = Received;
        }

        if (already is { } signal)
            forward(signal);
        return new Forwarding(this);
    }

    /// <summary>
    /// Stops listening. The token source is left to the collector: a signal handled on another thread at this moment
    /// must not find it disposed (the ObjectDisposedException that used to end an interrupted command).
    /// </summary>
    public void Dispose()
    {
        foreach (var registration in _registrations)
            registration.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        // Never the runtime's default (immediate termination): the command decides when it has cleaned up.
        context.Cancel = true;
        Action<PosixSignal>? forward;
        bool first;
        lock (_lock)
        {
            forward = _forward;
            first = Received is null;
            if (first)
            {
                Received = context.Signal;
                _firstAt = Environment.TickCount64;
            }
        }

        if (first)
        {
            _cancel.Cancel();
            forward?.Invoke(context.Signal);
            return;
        }

        if (forward is not null)
        {
            forward(context.Signal);
            return;
        }

        if (Environment.TickCount64 - _firstAt >= SameRequest.TotalMilliseconds)
            Environment.Exit(ExitCodeFor(Received!.Value));
    }

    private sealed class Forwarding(CliSignals signals) : IDisposable
    {
        public void Dispose()
        {
            lock (signals._lock)
                signals._forward = null;
        }
    }
}

internal static partial class NativeSignal
{
    /// <summary>kill(2) with SIGINT or SIGTERM (the same numbers on Linux and macOS).</summary>
    public static void Send(int pid, PosixSignal signal)
    {
        if (Kill(pid, signal == PosixSignal.SIGTERM ? 15 : 2) != 0)
            throw new InvalidOperationException($"cannot signal process {pid}: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>
    /// Whether this process is in the foreground process group of its terminal, where the terminal's Ctrl+C
    /// reaches it and every child that kept its group. False without a terminal (a pipe, a service, a test).
    /// </summary>
    public static bool TerminalInterruptsOurGroup()
    {
        for (var fd = 0; fd <= 2; fd++)
        {
            var foreground = TerminalForegroundGroup(fd);
            if (foreground >= 0)
                return foreground == ProcessGroup();
        }

        return false;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "tcgetpgrp")]
    private static partial int TerminalForegroundGroup(int fd);

    [LibraryImport("libc", EntryPoint = "getpgrp")]
    private static partial int ProcessGroup();
}
