using System.CommandLine;
using Portal.Client.Models;

namespace Portal.Cli.Commands;

/// <summary>
/// <c>portal artifact diff A B</c>: one line per changed path (<c>A</c> added, <c>D</c> removed, <c>M</c> modified,
/// <c>R</c> renamed old -&gt; new), then a summary line.
/// </summary>
internal static class ArtifactDiffCommand
{
    public static Command Create(CliContext cli)
    {
        var from = new Argument<string>("from") { Description = "name:vN, name:alias … (the old side)." };
        var to = new Argument<string>("to") { Description = "The new side; a bare vN or alias means the same artifact as <from>." };
        var project = CommonOptions.Project();
        var json = CommonOptions.Json();
        var command = new Command("diff", "What changed between two versions.") { from, to, project, json };
        command.SetAction(async (parse, ct) =>
        {
            var slug = cli.Project(parse.GetValue(project));
            var fromSpec = parse.GetRequiredValue(from);
            var toSpec = parse.GetRequiredValue(to);
            // "ds:v1 v2" is shorter than "ds:v1 ds:v2" and cannot mean anything else when the first side names an artifact.
            if (!toSpec.Contains(':', StringComparison.Ordinal) && fromSpec.Contains(':', StringComparison.Ordinal))
                toSpec = ArtifactCommand.NameOf(fromSpec) + ":" + toSpec;
            using var client = cli.CreateClient();
            var a = await client.ResolveVersionAsync(slug, fromSpec, ct);
            var b = await client.ResolveVersionAsync(slug, toSpec, ct);

            var items = new List<VersionDiffItem>();
            VersionDiffSummary? summary = null;
            string? continuation = null;
            do
            {
                var page = await client.DiffVersionsAsync(slug, a.Id, b.Id, continuation: continuation, limit: 1000, ct: ct);
                summary ??= page.Summary;
                items.AddRange(page.Items);
                continuation = page.ContinuationToken;
            }
            while (continuation is not null);

            if (parse.GetValue(json))
            {
                cli.WriteJson(new { From = ArtifactCommand.Label(a), To = ArtifactCommand.Label(b), Summary = summary, Items = items });
                return PortalCli.ExitSuccess;
            }

            foreach (var item in items)
            {
                cli.Stdout.WriteLine(item.Change switch
                {
                    "added" => $"A  {item.Path}",
                    "removed" => $"D  {item.Path}",
                    "modified" => $"M  {item.Path}",
                    "renamed" => $"R  {item.OldPath} -> {item.Path}",
                    _ => $"?  {item.Path} ({item.Change})",
                });
            }

            var s = summary!;
            cli.Stdout.WriteLine($"{ArtifactCommand.Label(a)} -> {ArtifactCommand.Label(b)}: {s.Added} added, {s.Removed} removed, {s.Modified} modified, {s.Renamed} renamed");
            return PortalCli.ExitSuccess;
        });
        return command;
    }
}
