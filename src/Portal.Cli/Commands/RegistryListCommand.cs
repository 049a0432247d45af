using System.CommandLine;
using System.Globalization;

namespace Portal.Cli.Commands;

/// <summary><c>portal registry ls [--search TEXT]</c>: the registry's collections.</summary>
internal static class RegistryListCommand
{
    public static Command Create(CliContext cli)
    {
        var json = CommonOptions.Json();
        var search = new Option<string>("--search") { Description = "Only collections whose name, title, type or card contains this." };
        var command = new Command("ls", "The registry's collections.") { search, json };
        command.SetAction(async (parse, ct) =>
        {
            using var client = cli.CreateClient();
            var collections = await client.ListRegistryCollectionsAsync(parse.GetValue(search), ct);
            if (parse.GetValue(json))
            {
                cli.WriteJson(collections);
                return PortalCli.ExitSuccess;
            }
            var table = new TextTable("NAME", "TYPE", "VERSIONS", "ALIASES", "ROLE");
            foreach (var c in collections)
            {
                var aliases = string.Join(", ", c.Aliases.Select(a => $"{a.Key}={a.Value}"));
                table.Add(c.Name, c.Type, c.VersionCount.ToString(CultureInfo.InvariantCulture), aliases, c.Role);
            }
            table.Write(cli.Stdout);
            return PortalCli.ExitSuccess;
        });
        return command;
    }
}
