using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Portal.Client.Models;

namespace Portal.Cli.Commands;

/// <summary>
/// <c>portal artifact changes chunks:v3 v4</c>: the rows added (<c>A</c>), changed (<c>C</c>) and removed (<c>D</c>)
/// between two versions, one line each as <c>path:line key</c>, problems (<c>!</c> malformed, <c>=</c> duplicate key)
/// and file-level records, then a summary line. <c>--json</c> prints the feed's records as NDJSON, one per line.
/// </summary>
internal static class ArtifactChangesCommand
{
    private static readonly JsonSerializerOptions OneLine = new(CliJson.Options) { WriteIndented = false };

    public static Command Create(CliContext cli)
    {
        var from = new Argument<string>("from") { Description = "name:vN, name:alias … (the version the index was built from)." };
        var to = new Argument<string>("to") { Description = "The new version; a bare vN or alias means the same artifact as <from>." };
        var key = new Option<string?>("--key") { Description = "The key column rows are matched by (default: detected as id, _id, uuid, key …; else by content)." };
        var noRows = new Option<bool>("--no-rows") { Description = "Leave the row bodies out of --json output." };
        var project = CommonOptions.Project();
        var json = CommonOptions.Json();
        var command = new Command("changes", "Rows added, changed and removed between two versions (the change feed).") { from, to, key, noRows, project, json };
        command.SetAction(async (parse, ct) =>
        {
            var slug = cli.Project(parse.GetValue(project));
            var fromSpec = parse.GetRequiredValue(from);
            var toSpec = parse.GetRequiredValue(to);
            if (!toSpec.Contains(':', StringComparison.Ordinal) && fromSpec.Contains(':', StringComparison.Ordinal))
                toSpec = ArtifactCommand.NameOf(fromSpec) + ":" + toSpec;
            var asJson = parse.GetValue(json);
            using var client = cli.CreateClient();
            ChangeFeedSummary? summary = null;
            await foreach (var record in client.ChangesAsync(slug, fromSpec, toSpec, parse.GetValue(key), rows: asJson && !parse.GetValue(noRows), ct: ct))
            {
                if (asJson)
                {
                    cli.Stdout.WriteLine(JsonSerializer.Serialize(record, OneLine));
                    continue;
                }

                if (record.Op == ChangeOps.End)
                {
                    summary = record.Summary;
                    continue;
                }

                cli.Stdout.WriteLine(Line(record));
            }

            if (!asJson && summary is not null)
            {
                var s = summary;
                cli.Stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{fromSpec} -> {toSpec}: {s.Added} added, {s.Changed} changed, {s.Removed} removed rows ({s.Unchanged} unchanged in the files read); {s.FilesRead} files read, {s.FilesSkipped} skipped"));
                if (s.Malformed > 0 || s.DuplicateKeys > 0)
                    cli.Stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{s.Malformed} malformed rows, {s.DuplicateKeys} duplicate keys"));
            }

            return PortalCli.ExitSuccess;
        });
        return command;
    }

    private static string Line(ChangeRecord r)
    {
        var place = r.Line is { } line ? $"{r.Path}:{line}" : r.Path;
        var key = r.Key is null ? "" : $"  {r.KeyColumn}={r.Key}";
        return r.Op switch
        {
            ChangeOps.Added when r.Level == ChangeLevels.File => $"A  {r.Path} (file)",
            ChangeOps.Removed when r.Level == ChangeLevels.File => $"D  {r.Path} (file)",
            ChangeOps.Changed when r.Level == ChangeLevels.File => $"C  {r.Path} (file)",
            ChangeOps.Renamed => $"R  {r.PreviousPath} -> {r.Path} (file)",
            ChangeOps.Added => $"A  {place}{key}",
            ChangeOps.Changed => $"C  {place}{key}" + (r.PreviousPath is { } was && was != r.Path ? $" (was in {was})" : ""),
            ChangeOps.Removed => $"D  {place}{key}",
            ChangeOps.Malformed => $"!  {place} ({r.Side}): {r.Message}",
            ChangeOps.DuplicateKey => $"=  {place} ({r.Side}): {r.Message}",
            _ => $"?  {place} ({r.Op})",
        };
    }
}
