using System.CommandLine;

namespace Portal.Cli.Commands;

/// <summary><c>portal artifact use NAME:ALIAS --run ID</c>: records that a run read a version (lineage), prints the version id.</summary>
internal static class ArtifactUseCommand
{
    public static Command Create(CliContext cli)
    {
        var spec = new Argument<string>("version") { Description = "name, name:alias, name:vN or name:digest." };
        var project = CommonOptions.Project();
        var run = new Option<string>("--run") { Description = "The run that uses the version (default: PORTAL_RUN_ID)." };
        var json = CommonOptions.Json();
        var command = new Command("use", "Record that a run used a version.") { spec, project, run, json };
        command.SetAction(async (parse, ct) =>
        {
            var slug = cli.Project(parse.GetValue(project));
            var runId = cli.Run(parse.GetValue(run)) ?? throw CliException.Usage("no run: pass --run <id> or run inside 'portal run exec'.");
            using var client = cli.CreateClient();
            var version = await client.ResolveVersionAsync(slug, parse.GetRequiredValue(spec), ct);
            var used = await client.UseVersionAsync(slug, runId, version.Id, ct);
            if (parse.GetValue(json))
                cli.WriteJson(used);
            else
                cli.Stdout.WriteLine($"run {runId} used {ArtifactCommand.Label(version)} ({version.Id})");
            return PortalCli.ExitSuccess;
        });
        return command;
    }
}
