using Spectre.Console;

namespace Portal.Cli;

/// <summary>
/// Spectre.Console progress bars (files, bytes, bytes/s, ETA) when a person watches a terminal; nothing otherwise,
/// so logs and pipes get only the result lines.
/// </summary>
internal sealed class ProgressDisplay
{
    private readonly ProgressContext? _context;

    private ProgressDisplay(ProgressContext? context)
    {
        _context = context;
    }

    public static async Task<T> RunAsync<T>(CliContext cli, Func<ProgressDisplay, Task<T>> work)
    {
        if (!cli.IsTerminal)
            return await work(new ProgressDisplay(null));
        T result = default!;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(
                new TaskDescriptionColumn(),
                new ProgressBarColumn(),
                new PercentageColumn(),
                new DownloadedColumn(),
                new TransferSpeedColumn(),
                new RemainingTimeColumn())
            .StartAsync(async context => result = await work(new ProgressDisplay(context)));
        return result;
    }

    /// <summary>A bar for one phase (hashing, upload, download) of <paramref name="files"/> files and <paramref name="bytes"/> bytes.</summary>
    public ProgressStep Step(string label, int files, long bytes) =>
        new(label, files, _context?.AddTask($"{label} 0/{files} files", maxValue: Math.Max(1, bytes)));
}

internal sealed class ProgressStep(string label, int files, ProgressTask? task)
{
    private int _done;

    public void Advance(long bytes) => task?.Increment(bytes);

    public void FileDone()
    {
        var done = Interlocked.Increment(ref _done);
        task?.Description = $"{label} {done}/{files} files";
    }

    public void Complete()
    {
        if (task is null)
            return;
        task.Value = task.MaxValue;
        task.StopTask();
    }
}
