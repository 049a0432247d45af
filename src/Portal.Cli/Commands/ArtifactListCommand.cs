using System.CommandLine;
using System.Globalization;

namespace Portal.Cli.Commands;

internal static class ArtifactListCommand
{
    public static Command Create(CliContext cli)
    {
        var project = CommonOptions.Project();
        var type = new Option<string>("--type", "-t") { Description = "Only artifacts of this type." };
        var search = new Option<string>("--search") { Description = "Only artifacts whose name contains this." };
        var json = CommonOptions.Json();
        var command = new Command("ls", "Artifacts of a project.") { project, type, search, json };
        command.SetAction(async (parse, ct) =>
        {
            var slug = cli.Project(parse.GetValue(project));
            using var client = cli.CreateClient();
            var artifacts = await client.ListArtifactsAsync(slug, parse.GetValue(type), parse.GetValue(search), ct);
            if (parse.GetValue(json))
            {
                cli.WriteJson(artifacts);
                return PortalCli.ExitSuccess;
            }

            var table = new TextTable("NAME", "TYPE", "VERSIONS", "LATEST");
            foreach (var a in artifacts)
                table.Add(a.Name, a.Type, a.VersionCount.ToString(CultureInfo.InvariantCulture), a.LatestVersion ?? "-");
            table.Write(cli.Stdout);
            return PortalCli.ExitSuccess;
        });
        return command;
    }
}
