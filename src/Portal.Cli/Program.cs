using Portal.Cli;

using var signals = CliSignals.Listen();
return await PortalCli.RunAsync(args, signals);
