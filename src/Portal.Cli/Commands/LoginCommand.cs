using System.CommandLine;
using Portal.Client;

namespace Portal.Cli.Commands;

/// <summary><c>portal login --url URL --token TOKEN</c>: checks the token, then stores both for later commands.</summary>
internal static class LoginCommand
{
    public static Command Create(CliContext cli)
    {
        var url = new Option<string>("--url") { Description = "The portal's address, e.g. https://portal.example.com.", Required = true };
        var token = new Option<string>("--token") { Description = "An API token (ptl_…); read from stdin when left out, so it stays out of shell history." };
        var project = new Option<string>("--project", "-p") { Description = "Default project for later commands." };
        var command = new Command("login", "Save the portal address and an API token (in a file only you can read).") { url, token, project };
        command.SetAction(async (parse, ct) =>
        {
            var address = parse.GetRequiredValue(url).TrimEnd('/');
            var secret = parse.GetValue(token);
            if (secret is null)
            {
                cli.Info("reading the token from stdin (paste it and press Enter; Ctrl+C to stop)");
                secret = (await ReadLineAsync(Console.In, ct))?.Trim();
            }

            if (string.IsNullOrEmpty(secret))
                throw CliException.Usage("no token: pass --token or pipe it on stdin.");
            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                throw CliException.Usage($"\"{address}\" is not an http(s) URL.");

            // A typo in the token should fail now, not at the first upload.
            using var client = new PortalClient(uri, secret) { MaxRetries = cli.MaxRetries };
            var me = await client.GetMeAsync(ct);
            var path = new CliConfig(address, secret, parse.GetValue(project)).Save(cli.ConfigFolder);
            cli.Stdout.WriteLine($"Logged in to {address} as {me.Email}.");
            cli.Info($"Saved to {path}.");
            return PortalCli.ExitSuccess;
        });
        return command;
    }

    /// <summary>
    /// Console.In reads synchronously whatever the token says, so a login waiting for a token would sit through
    /// Ctrl+C and SIGTERM. The read waits on its own thread (a pool thread, which does not keep the process alive)
    /// while the command waits for the line or the signal, whichever comes first.
    /// </summary>
    internal static Task<string?> ReadLineAsync(TextReader input, CancellationToken ct) =>
        Task.Run(input.ReadLine, CancellationToken.None).WaitAsync(ct);
}
