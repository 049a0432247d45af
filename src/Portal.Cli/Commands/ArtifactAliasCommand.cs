using System.CommandLine;

namespace Portal.Cli.Commands;

/// <summary><c>portal artifact alias set NAME:VERSION ALIAS</c> and <c>alias rm NAME ALIAS</c>.</summary>
internal static class ArtifactAliasCommand
{
    public static Command Create(CliContext cli) =>
        new("alias", "Point custom aliases (staging, production …) at versions, remove them, or ask where they pointed.") { Set(cli), Remove(cli), ArtifactAliasAtCommand.Create(cli) };

    private static Command Set(CliContext cli)
    {
        var spec = new Argument<string>("version") { Description = "name:vN (or name:alias, name:digest) to point at." };
        var alias = new Argument<string>("alias") { Description = "The alias, e.g. production." };
        var project = CommonOptions.Project();
        var reason = new Option<string>("--reason") { Description = "Why, for the alias history." };
        var json = CommonOptions.Json();
        var command = new Command("set", "Point an alias at a version.") { spec, alias, project, reason, json };
        command.SetAction(async (parse, ct) =>
        {
            var slug = cli.Project(parse.GetValue(project));
            var specification = parse.GetRequiredValue(spec);
            var colon = specification.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || colon == specification.Length - 1)
                throw CliException.Usage($"\"{specification}\": give the version as name:vN (or name:alias).");
            using var client = cli.CreateClient();
            var result = await client.SetAliasAsync(slug, specification[..colon], parse.GetRequiredValue(alias), specification[(colon + 1)..], parse.GetValue(reason), ct);
            if (parse.GetValue(json))
                cli.WriteJson(result);
            else
                cli.Stdout.WriteLine($"{specification[..colon]}:{result.Name} -> {result.Version}");
            return PortalCli.ExitSuccess;
        });
        return command;
    }

    private static Command Remove(CliContext cli)
    {
        var name = new Argument<string>("name") { Description = "Artifact name." };
        var alias = new Argument<string>("alias") { Description = "The alias to remove." };
        var project = CommonOptions.Project();
        var reason = new Option<string>("--reason") { Description = "Why, for the alias history." };
        var command = new Command("rm", "Remove an alias (the versions stay).") { name, alias, project, reason };
        command.SetAction(async (parse, ct) =>
        {
            var slug = cli.Project(parse.GetValue(project));
            var artifact = ArtifactCommand.NameOf(parse.GetRequiredValue(name));
            using var client = cli.CreateClient();
            await client.DeleteAliasAsync(slug, artifact, parse.GetRequiredValue(alias), parse.GetValue(reason), ct);
            cli.Stdout.WriteLine($"removed {artifact}:{parse.GetRequiredValue(alias)}");
            return PortalCli.ExitSuccess;
        });
        return command;
    }
}
