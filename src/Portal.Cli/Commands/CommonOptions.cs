using System.CommandLine;

namespace Portal.Cli.Commands;

/// <summary>Options many commands share; each command gets its own instances (a symbol belongs to one parent).</summary>
internal static class CommonOptions
{
    public static Option<string> Project() =>
        new("--project", "-p") { Description = "Project slug (default: PORTAL_PROJECT, or the one saved by login)." };

    public static Option<bool> Json() =>
        new("--json") { Description = "Print the result as JSON, for scripts." };
}
