using System.CommandLine;
using System.Globalization;
using Portal.Client.Models;

namespace Portal.Cli.Commands;

internal static class ArtifactFilesCommand
{
    public static Command Create(CliContext cli)
    {
        var spec = new Argument<string>("version") { Description = "name, name:alias, name:vN or name:digest." };
        var project = CommonOptions.Project();
        var json = CommonOptions.Json();
        var command = new Command("files", "Every file of a version: size, digest, path.") { spec, project, json };
        command.SetAction(async (parse, ct) =>
        {
            var slug = cli.Project(parse.GetValue(project));
            using var client = cli.CreateClient();
            var version = await client.ResolveVersionAsync(slug, parse.GetRequiredValue(spec), ct);
            var files = new List<VersionFileItem>();
            await foreach (var file in client.ListAllVersionFilesAsync(slug, version.Id, ct))
                files.Add(file);
            if (parse.GetValue(json))
            {
                cli.WriteJson(files);
                return PortalCli.ExitSuccess;
            }

            foreach (var f in files)
                cli.Stdout.WriteLine($"{(f.Size ?? 0).ToString(CultureInfo.InvariantCulture),12}  {f.Digest?[..12]}  {f.Path}{(f.Ref is null ? "" : " -> " + f.Ref)}");
            return PortalCli.ExitSuccess;
        });
        return command;
    }
}
