using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Portal.Client.Models;

namespace Portal.Cli.Commands;

/// <summary><c>portal eval log|compare</c>: evaluations of versions on pinned eval-set versions.</summary>
internal static class EvalCommand
{
    public static Command Create(CliContext cli) =>
        new("eval", "Evaluations: log one from an NDJSON file of rows, compare two per example.")
        {
            Log(cli), Compare(cli),
        };

    private static Command Log(CliContext cli)
    {
        var file = new Argument<FileInfo>("file") { Description = "NDJSON rows, one per example: {\"id\":\"q-1\",\"scores\":{\"recall@5\":1},\"latencyMs\":120,\"tokens\":300,\"output\":\"…\"}." };
        var subject = new Option<string>("--subject") { Description = "The evaluated version: artifact:vN, artifact:alias or an id.", Required = true };
        var evalSet = new Option<string>("--eval-set") { Description = "The eval-set version (artifact:alias or artifact:vN); the portal pins the version it names now.", Required = true };
        var scorers = new Option<string[]>("--scorer") { Description = "A scorer name (repeat for several); default: every scorer the rows use, in order of appearance.", AllowMultipleArgumentsPerToken = false };
        var name = new Option<string>("--name") { Description = "A label for the evaluation (nightly, ablation-3)." };
        var run = new Option<Guid?>("--run") { Description = "The run that produced the evaluation." };
        var project = CommonOptions.Project();
        var json = CommonOptions.Json();
        var command = new Command("log", "Logs a finished evaluation from an NDJSON file of rows; the portal computes the aggregates.")
        {
            file, subject, evalSet, scorers, name, run, project, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists)
                throw CliException.Usage($"{path.FullName} does not exist.");
            var names = parse.GetValue(scorers) is { Length: > 0 } given ? given.ToList() : await ScorersInAsync(path.FullName, ct);
            if (names.Count == 0)
                throw CliException.Usage($"{path.Name} has no scores: give each row \"scores\":{{\"name\":number}}, or name the scorers with --scorer.");
            using var client = cli.CreateClient();
            var header = new EvaluationHeader(parse.GetValue(subject)!, parse.GetValue(evalSet)!, names, parse.GetValue(name), parse.GetValue(run));
            var evaluation = await client.LogEvaluationFileAsync(cli.Project(parse.GetValue(project)), header, path.FullName, ct);
            if (parse.GetValue(json))
            {
                cli.WriteJson(evaluation);
                return PortalCli.ExitSuccess;
            }
            var o = cli.Stdout;
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"evaluation {evaluation.Id}: {evaluation.Subject.Artifact}:{evaluation.Subject.Version} on {evaluation.EvalSet.Artifact}:{evaluation.EvalSet.Version}, {evaluation.ExampleCount:N0} examples"));
            var table = new TextTable("SCORER", "MEAN", "COUNT", "MIN", "MAX");
            foreach (var s in evaluation.Scores)
                table.Add(s.Scorer, Number(s.Mean), s.Count.ToString(CultureInfo.InvariantCulture), Number(s.Min), Number(s.Max));
            table.Write(o);
            if (evaluation.LatencyP50Ms is { } p50)
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"latency p50 {p50:0.#} ms, p95 {evaluation.LatencyP95Ms:0.#} ms; {evaluation.TotalTokens:N0} tokens"));
            return PortalCli.ExitSuccess;
        });
        return command;
    }

    private static Command Compare(CliContext cli)
    {
        var before = new Argument<Guid>("before") { Description = "The earlier evaluation's id." };
        var after = new Argument<Guid>("after") { Description = "The later evaluation's id (same eval-set version)." };
        var metric = new Option<string>("--metric") { Description = "The scorer compared (default: the first both have)." };
        var limit = new Option<int?>("--limit") { Description = "Examples listed each way (default 20)." };
        var project = CommonOptions.Project();
        var json = CommonOptions.Json();
        var command = new Command("compare", "Which examples got worse or better between two evaluations, and the subject and data parts of the change.")
        {
            before, after, metric, limit, project, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var client = cli.CreateClient();
            var slug = cli.Project(parse.GetValue(project));
            var attribution = await client.AttributeEvaluationChangeAsync(slug, parse.GetValue(before), parse.GetValue(after), parse.GetValue(metric), ct);
            EvaluationExampleComparison? examples = null;
            if (attribution.Before.EvalSet == attribution.After.EvalSet)
                examples = await client.CompareEvaluationExamplesAsync(slug, parse.GetValue(before), parse.GetValue(after), attribution.Metric, parse.GetValue(limit) ?? 20, ct);
            if (parse.GetValue(json))
            {
                cli.WriteJson(new { attribution, examples });
                return PortalCli.ExitSuccess;
            }
            var o = cli.Stdout;
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{attribution.Metric}: {Number(attribution.Before.Value)} ({attribution.Before.Subject} on {attribution.Before.EvalSet}) -> {Number(attribution.After.Value)} ({attribution.After.Subject} on {attribution.After.EvalSet}), change {Signed(attribution.Total)}"));
            o.WriteLine($"  from the subject: {(attribution.SubjectPart is { } s ? Signed(s) : "unknown")}; from the data: {(attribution.DataPart is { } d ? Signed(d) : "unknown")}");
            foreach (var missing in attribution.Missing)
                o.WriteLine($"  missing: an evaluation of {missing}");
            if (examples is not null)
            {
                o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"examples: {examples.WorseCount:N0} worse, {examples.BetterCount:N0} better, {examples.UnchangedCount:N0} unchanged, {examples.OnlyBefore:N0} only before, {examples.OnlyAfter:N0} only after"));
                var table = new TextTable("EXAMPLE", "BEFORE", "AFTER", "DELTA");
                foreach (var c in examples.Worse.Concat(examples.Better))
                    table.Add(c.Id, Number(c.Before), Number(c.After), Signed(c.Delta));
                table.Write(o);
            }
            return PortalCli.ExitSuccess;
        });
        return command;
    }

    /// <summary>The scorer names the rows use, in order of first appearance.</summary>
    internal static async Task<List<string>> ScorersInAsync(string path, CancellationToken ct)
    {
        var names = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            ct.ThrowIfCancellationRequested();
            try
            {
                using var row = JsonDocument.Parse(line);
                if (row.RootElement.ValueKind == JsonValueKind.Object && row.RootElement.TryGetProperty("scores", out var scores) && scores.ValueKind == JsonValueKind.Object)
                {
                    foreach (var score in scores.EnumerateObject())
                    {
                        if (seen.Add(score.Name))
                            names.Add(score.Name);
                    }
                }
            }
            catch (JsonException)
            {
                throw CliException.Usage($"{Path.GetFileName(path)} line {number}: not valid JSON.");
            }
        }
        await Task.CompletedTask;
        return names;
    }

    private static string Number(double? value) => value is { } v ? v.ToString("0.####", CultureInfo.InvariantCulture) : "-";

    private static string Signed(double value) => (value >= 0 ? "+" : "") + value.ToString("0.####", CultureInfo.InvariantCulture);
}
