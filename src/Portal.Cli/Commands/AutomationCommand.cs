using System.CommandLine;
using Portal.Client.Models;

namespace Portal.Cli.Commands;

/// <summary><c>portal automation …</c>: rules that act on events of a project or a registry collection.</summary>
internal static class AutomationCommand
{
    public static Command Create(CliContext cli) =>
        new("automation", "Automation rules of a project (-p) or a registry collection (--collection): list, add, remove, show runs.")
        {
            AutomationListCommand.Create(cli),
            AutomationAddCommand.Create(cli),
            AutomationRemoveCommand.Create(cli),
            AutomationRunsCommand.Create(cli),
        };

    public static Option<string> Collection() =>
        new("--collection", "-c") { Description = "A registry collection's rules instead of the project's." };

    /// <summary>The scope the options name: the collection when given, else the project.</summary>
    public static (string Scope, bool IsCollection) Scope(CliContext cli, ParseResult parse, Option<string> project, Option<string> collection) =>
        parse.GetValue(collection) is { Length: > 0 } name ? (name, true) : (cli.Project(parse.GetValue(project)), false);

    public static Guid RuleId(string text) =>
        Guid.TryParse(text, out var id) ? id : throw CliException.Usage($"'{text}' is not a rule id; 'portal automation ls' lists them.");

    public static string Describe(AutomationRuleResponse r)
    {
        var filter = r.ArtifactType is { } type ? $" (type {type})" : r.Alias is { } alias ? $" (alias {alias})" : "";
        return $"{r.Trigger}{filter} → {r.Action}{(r.Url is { } url ? " " + url : "")}";
    }
}
