using System.CommandLine;
using Portal.Client.Models;

namespace Portal.Cli.Commands;

/// <summary>
/// <c>portal automation add NAME --on TRIGGER --do ACTION [--type T] [--alias A] [--url URL]</c>: adds a rule and prints
/// its id (and, for an evaluation request, the signing secret, shown this once).
/// </summary>
internal static class AutomationAddCommand
{
    public static Command Create(CliContext cli)
    {
        var name = new Argument<string>("name") { Description = "What the rule is for, e.g. \"compare each link\"." };
        var trigger = new Option<string>("--on") { Description = "version.committed, version.linked (collections) or alias.moved.", Required = true };
        var action = new Option<string>("--do") { Description = "compare, validate, evaluation_request or email.", Required = true };
        var type = new Option<string>("--type") { Description = "version.committed only: versions of artifacts of this type." };
        var alias = new Option<string>("--alias") { Description = "alias.moved only: moves of this alias." };
        var url = new Option<string>("--url") { Description = "evaluation_request only: where the signed request is POSTed." };
        var project = CommonOptions.Project();
        var collection = AutomationCommand.Collection();
        var json = CommonOptions.Json();
        var command = new Command("add", "Add an automation rule (admins).") { name, trigger, action, type, alias, url, project, collection, json };
        command.SetAction(async (parse, ct) =>
        {
            var (scope, isCollection) = AutomationCommand.Scope(cli, parse, project, collection);
            using var client = cli.CreateClient();
            var created = await client.CreateAutomationAsync(scope, new CreateAutomationRequest(
                parse.GetRequiredValue(name), parse.GetRequiredValue(trigger), parse.GetRequiredValue(action),
                parse.GetValue(type), parse.GetValue(alias), parse.GetValue(url)), isCollection, ct);
            if (parse.GetValue(json))
            {
                cli.WriteJson(created);
                return PortalCli.ExitSuccess;
            }
            cli.Stdout.WriteLine(created.Rule.Id);
            cli.Info($"added \"{created.Rule.Name}\": {AutomationCommand.Describe(created.Rule)}");
            if (created.Secret is { } secret)
                cli.Info($"signing secret (shown this once): {secret}");
            return PortalCli.ExitSuccess;
        });
        return command;
    }
}
