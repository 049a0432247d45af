using System.CommandLine;
using System.Globalization;

namespace Portal.Cli.Commands;

/// <summary><c>portal artifact which FILE</c>: hashes a local file and lists the committed versions that hold those bytes.</summary>
internal static class ArtifactWhichCommand
{
    public static Command Create(CliContext cli)
    {
        var file = new Argument<string>("file") { Description = "A local file." };
        var json = CommonOptions.Json();
        var command = new Command("which", "Which versions contain this local file (by content)?") { file, json };
        command.SetAction(async (parse, ct) =>
        {
            var path = Path.GetFullPath(parse.GetRequiredValue(file), cli.WorkingDirectory);
            if (!File.Exists(path))
                throw new CliException($"no such file: {parse.GetRequiredValue(file)}", PortalCli.ExitFailure, CliErrorCodes.NotFound);
            string digest;
            try
            {
                digest = TreeHasher.HashFile(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"cannot read {path}: {ex.Message}");
            }

            using var client = cli.CreateClient();
            var versions = await client.FindVersionsWithBlobAsync(digest, ct);
            if (parse.GetValue(json))
            {
                cli.WriteJson(new { Digest = digest, Versions = versions });
                return PortalCli.ExitSuccess;
            }

            if (versions.Count == 0)
            {
                cli.Stdout.WriteLine($"sha256:{digest} is in no version you can read");
                return PortalCli.ExitSuccess;
            }

            foreach (var v in versions)
                cli.Stdout.WriteLine($"{v.Project}/{v.Artifact}:v{v.Index.ToString(CultureInfo.InvariantCulture)}  {v.Path}");
            return PortalCli.ExitSuccess;
        });
        return command;
    }
}
