using System.CommandLine;
using System.Globalization;
using Portal.Client.Models;

namespace Portal.Cli.Commands;

internal static class ArtifactVersionsCommand
{
    public static Command Create(CliContext cli)
    {
        var name = new Argument<string>("name") { Description = "Artifact name." };
        var project = CommonOptions.Project();
        var json = CommonOptions.Json();
        var command = new Command("versions", "Committed versions of an artifact, newest first.") { name, project, json };
        command.SetAction(async (parse, ct) =>
        {
            var slug = cli.Project(parse.GetValue(project));
            var artifact = parse.GetRequiredValue(name);
            using var client = cli.CreateClient();
            var versions = new List<ArtifactVersionResponse>();
            string? continuation = null;
            do
            {
                var page = await client.ListVersionsAsync(slug, artifact, continuationToken: continuation, ct: ct);
                versions.AddRange(page.Items);
                continuation = page.ContinuationToken;
            }
            while (continuation is not null);

            if (parse.GetValue(json))
            {
                cli.WriteJson(versions);
                return PortalCli.ExitSuccess;
            }

            var table = new TextTable("VERSION", "FILES", "BYTES", "COMMITTED", "DIGEST", "ALIASES");
            foreach (var v in versions)
            {
                table.Add(v.Version, v.FileCount.ToString(CultureInfo.InvariantCulture), v.TotalSize.ToString(CultureInfo.InvariantCulture),
                    v.CommittedAt.ToString("u", CultureInfo.InvariantCulture), v.ManifestDigest[..12], string.Join(',', v.Aliases));
            }

            table.Write(cli.Stdout);
            return PortalCli.ExitSuccess;
        });
        return command;
    }
}
