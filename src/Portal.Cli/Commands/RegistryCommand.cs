using System.CommandLine;

namespace Portal.Cli.Commands;

/// <summary><c>portal registry …</c>: site-wide collections of linked versions.</summary>
internal static class RegistryCommand
{
    public static Command Create(CliContext cli) =>
        new("registry", "Site-wide registry collections: list, show, link project versions into them.")
        {
            RegistryListCommand.Create(cli),
            RegistryShowCommand.Create(cli),
            RegistryLinkCommand.Create(cli),
        };
}
