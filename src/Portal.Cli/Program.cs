using Portal.Cli;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C cancels cleanly (runs are finished as crashed, temp files removed); a second one kills.
    e.Cancel = !cancel.IsCancellationRequested;
    cancel.Cancel();
};
return await PortalCli.RunAsync(args, Console.Out, Console.Error, cancel.Token);
