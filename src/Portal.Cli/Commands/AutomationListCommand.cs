using System.CommandLine;

namespace Portal.Cli.Commands;

/// <summary><c>portal automation ls [-p SLUG | --collection NAME]</c>: the rules with their last run.</summary>
internal static class AutomationListCommand
{
    public static Command Create(CliContext cli)
    {
        var project = CommonOptions.Project();
        var collection = AutomationCommand.Collection();
        var json = CommonOptions.Json();
        var command = new Command("ls", "The automation rules with their last run.") { project, collection, json };
        command.SetAction(async (parse, ct) =>
        {
            var (scope, isCollection) = AutomationCommand.Scope(cli, parse, project, collection);
            using var client = cli.CreateClient();
            var rules = await client.ListAutomationsAsync(scope, isCollection, ct);
            if (parse.GetValue(json))
            {
                cli.WriteJson(rules);
                return PortalCli.ExitSuccess;
            }
            var table = new TextTable("ID", "NAME", "RULE", "ENABLED", "LAST RUN");
            foreach (var r in rules)
                table.Add(r.Id.ToString(), r.Name, AutomationCommand.Describe(r), r.Enabled ? "yes" : "no", r.LastRun is { } last ? $"{last.Outcome} {last.SubjectVersion}" : "-");
            table.Write(cli.Stdout);
            return PortalCli.ExitSuccess;
        });
        return command;
    }
}
