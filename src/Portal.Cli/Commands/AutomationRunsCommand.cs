using System.CommandLine;
using System.Globalization;

namespace Portal.Cli.Commands;

/// <summary><c>portal automation runs ID [--limit N]</c>: a rule's runs, newest first, with outcome and message.</summary>
internal static class AutomationRunsCommand
{
    public static Command Create(CliContext cli)
    {
        var id = new Argument<string>("id") { Description = "The rule's id, as 'portal automation ls' shows it." };
        var limit = new Option<int?>("--limit") { Description = "At most this many runs (1–200, default 50)." };
        var project = CommonOptions.Project();
        var collection = AutomationCommand.Collection();
        var json = CommonOptions.Json();
        var command = new Command("runs", "A rule's runs, newest first: outcome (succeeded, failed, skipped …) and what was done.") { id, limit, project, collection, json };
        command.SetAction(async (parse, ct) =>
        {
            var ruleId = AutomationCommand.RuleId(parse.GetRequiredValue(id));
            var (scope, isCollection) = AutomationCommand.Scope(cli, parse, project, collection);
            using var client = cli.CreateClient();
            var runs = await client.ListAutomationRunsAsync(scope, ruleId, isCollection, parse.GetValue(limit), ct: ct);
            if (parse.GetValue(json))
            {
                cli.WriteJson(runs);
                return PortalCli.ExitSuccess;
            }
            var table = new TextTable("RUN", "WHEN", "EVENT", "VERSION", "OUTCOME", "MESSAGE");
            foreach (var r in runs.Items)
            {
                table.Add(r.Id.ToString(CultureInfo.InvariantCulture), r.CreatedAt.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                    r.EventType, r.SubjectVersion ?? "-", r.Outcome, r.Message);
            }
            table.Write(cli.Stdout);
            return PortalCli.ExitSuccess;
        });
        return command;
    }
}
