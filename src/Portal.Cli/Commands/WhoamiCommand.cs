using System.CommandLine;

namespace Portal.Cli.Commands;

internal static class WhoamiCommand
{
    public static Command Create(CliContext cli)
    {
        var json = CommonOptions.Json();
        var command = new Command("whoami", "Show the user the token belongs to.") { json };
        command.SetAction(async (parse, ct) =>
        {
            using var client = cli.CreateClient();
            var me = await client.GetMeAsync(ct);
            if (parse.GetValue(json))
                cli.WriteJson(me);
            else
                cli.Stdout.WriteLine($"{me.Email} ({me.DisplayName}){(me.IsSiteAdmin ? ", site admin" : "")} at {client.BaseAddress}");
            return PortalCli.ExitSuccess;
        });
        return command;
    }
}
