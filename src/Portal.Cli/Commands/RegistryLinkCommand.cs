using System.CommandLine;
using Portal.Client.Models;

namespace Portal.Cli.Commands;

/// <summary><c>portal registry link index:v7 support-retriever</c>: links a committed version of the project into a collection.</summary>
internal static class RegistryLinkCommand
{
    public static Command Create(CliContext cli)
    {
        var spec = new Argument<string>("version") { Description = "name:vN (or name:alias, name:digest) in the project to link." };
        var collection = new Argument<string>("collection") { Description = "The collection to link it into, e.g. support-retriever." };
        var comment = new Option<string>("--message", "-m") { Description = "Why, recorded with the link." };
        var project = CommonOptions.Project();
        var json = CommonOptions.Json();
        var command = new Command("link", "Link a committed version of a project into a registry collection (nothing is copied).") { spec, collection, comment, project, json };
        command.SetAction(async (parse, ct) =>
        {
            var slug = cli.Project(parse.GetValue(project));
            var (artifact, version) = ArtifactPromoteCommand.Split(parse.GetRequiredValue(spec), "name:vN");
            var collectionName = parse.GetRequiredValue(collection);
            using var client = cli.CreateClient();
            var linked = await client.LinkRegistryVersionAsync(collectionName, new LinkRegistryVersionRequest(slug, artifact, version, parse.GetValue(comment)), ct);
            if (parse.GetValue(json))
            {
                cli.WriteJson(linked);
                return PortalCli.ExitSuccess;
            }
            cli.Stdout.WriteLine($"{collectionName}:{linked.Version}");
            cli.Info($"linked {slug}/{artifact}:{linked.Source.Version ?? version} as {collectionName}:{linked.Version} (manifest {linked.ManifestDigest[..12]}…, nothing copied)");
            return PortalCli.ExitSuccess;
        });
        return command;
    }
}
