using System.CommandLine;
using System.Globalization;

namespace Portal.Cli.Commands;

/// <summary><c>portal artifact alias at NAME:ALIAS --time T</c>: which version the alias pointed at then.</summary>
internal static class ArtifactAliasAtCommand
{
    public static Command Create(CliContext cli)
    {
        var spec = new Argument<string>("alias") { Description = "name:alias, e.g. corpus:production." };
        var time = new Option<string>("--time") { Description = "A moment (ISO 8601, e.g. 2026-03-03T14:00:00Z; without an offset it is UTC).", Required = true };
        var project = CommonOptions.Project();
        var json = CommonOptions.Json();
        var command = new Command("at", "Which version an alias pointed at at a given time.") { spec, time, project, json };
        command.SetAction(async (parse, ct) =>
        {
            var slug = cli.Project(parse.GetValue(project));
            var (name, alias) = ArtifactPromoteCommand.Split(parse.GetRequiredValue(spec), "name:alias");
            var text = parse.GetRequiredValue(time);
            if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var moment))
                throw CliException.Usage($"\"{text}\" is not a time; use ISO 8601 such as 2026-03-03T14:00:00Z.");
            using var client = cli.CreateClient();
            var version = await client.GetAliasAtAsync(slug, name, alias, moment, ct);
            if (parse.GetValue(json))
                cli.WriteJson(version);
            else
                cli.Stdout.WriteLine($"{name}:{alias} at {moment.ToUniversalTime():yyyy-MM-ddTHH:mm:ssZ} -> {version.Version} ({version.ManifestDigest})");
            return PortalCli.ExitSuccess;
        });
        return command;
    }
}
