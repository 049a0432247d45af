using System.CommandLine;

namespace Portal.Cli.Commands;

/// <summary><c>portal registry show COLLECTION</c>: the card fields and the versions with their sources.</summary>
internal static class RegistryShowCommand
{
    public static Command Create(CliContext cli)
    {
        var name = new Argument<string>("collection") { Description = "The collection's name, e.g. support-retriever." };
        var json = CommonOptions.Json();
        var command = new Command("show", "A collection: card fields, missing ones, and its versions with where each came from.") { name, json };
        command.SetAction(async (parse, ct) =>
        {
            using var client = cli.CreateClient();
            var collectionName = parse.GetRequiredValue(name);
            var collection = await client.GetRegistryCollectionAsync(collectionName, ct);
            var versions = await client.ListRegistryVersionsAsync(collectionName, ct);
            if (parse.GetValue(json))
            {
                cli.WriteJson(new { collection, versions });
                return PortalCli.ExitSuccess;
            }
            cli.Stdout.WriteLine($"{collection.Name} ({collection.Type}): {collection.Title}");
            foreach (var (field, value) in collection.Fields)
                cli.Stdout.WriteLine($"  {field}: {value}");
            if (collection.MissingFields.Count > 0)
                cli.Stdout.WriteLine($"  missing: {string.Join(", ", collection.MissingFields)}");
            var table = new TextTable("VERSION", "ALIASES", "SOURCE", "LINKED", "BY");
            foreach (var v in versions)
            {
                var source = v.Source.Accessible ? $"{v.Source.Project}/{v.Source.Artifact}:{v.Source.Version}" : "(no access)";
                var version = v.UnlinkedAt is null ? v.Version : v.Version + " (unlinked)";
                table.Add(version, string.Join(", ", v.Aliases), source, v.LinkedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture), v.LinkedBy);
            }
            table.Write(cli.Stdout);
            return PortalCli.ExitSuccess;
        });
        return command;
    }
}
