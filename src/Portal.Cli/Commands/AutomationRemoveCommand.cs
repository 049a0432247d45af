using System.CommandLine;

namespace Portal.Cli.Commands;

/// <summary><c>portal automation rm ID</c>: deletes a rule and its runs.</summary>
internal static class AutomationRemoveCommand
{
    public static Command Create(CliContext cli)
    {
        var id = new Argument<string>("id") { Description = "The rule's id, as 'portal automation ls' shows it." };
        var project = CommonOptions.Project();
        var collection = AutomationCommand.Collection();
        var command = new Command("rm", "Delete an automation rule and its runs (admins).") { id, project, collection };
        command.SetAction(async (parse, ct) =>
        {
            var ruleId = AutomationCommand.RuleId(parse.GetRequiredValue(id));
            var (scope, isCollection) = AutomationCommand.Scope(cli, parse, project, collection);
            using var client = cli.CreateClient();
            await client.DeleteAutomationAsync(scope, ruleId, isCollection, ct);
            cli.Info($"deleted rule {ruleId}");
            return PortalCli.ExitSuccess;
        });
        return command;
    }
}
