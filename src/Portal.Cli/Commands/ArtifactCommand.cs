using System.CommandLine;

namespace Portal.Cli.Commands;

/// <summary><c>portal artifact …</c>: put and get versions, list, diff, alias and look up files.</summary>
internal static class ArtifactCommand
{
    public static Command Create(CliContext cli) =>
        new("artifact", "Artifact versions: put, get, ls, versions, files, diff, changes, alias, use, which, promote.")
        {
            ArtifactPutCommand.Create(cli),
            ArtifactGetCommand.Create(cli),
            ArtifactListCommand.Create(cli),
            ArtifactVersionsCommand.Create(cli),
            ArtifactFilesCommand.Create(cli),
            ArtifactDiffCommand.Create(cli),
            ArtifactChangesCommand.Create(cli),
            ArtifactAliasCommand.Create(cli),
            ArtifactUseCommand.Create(cli),
            ArtifactWhichCommand.Create(cli),
            ArtifactPromoteCommand.Create(cli),
        };

    /// <summary><c>name</c>, <c>name:alias</c>, <c>name:vN</c> or <c>name:digest</c>; the artifact name is the part before the first ':'.</summary>
    public static string NameOf(string specification)
    {
        var colon = specification.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? specification : specification[..colon];
    }

    public static string Label(Portal.Client.Models.ArtifactVersionResponse version) => $"{version.ArtifactName}:{version.Version}";
}
