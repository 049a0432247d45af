using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Portal.Client.Models;

namespace Portal.Cli.Commands;

/// <summary><c>portal run start|log|finish|exec</c>: record a pipeline step as a run.</summary>
internal static class RunCommand
{
    public static Command Create(CliContext cli) =>
        new("run", "Record runs: start, log metrics, finish, or wrap a command with exec.")
        {
            Start(cli), Log(cli), Finish(cli), RunExecCommand.Create(cli),
        };

    private static Command Start(CliContext cli)
    {
        var project = CommonOptions.Project();
        var jobType = new Option<string>("--job-type", "-j") { Description = "e.g. data_upload, model_training.", Required = true };
        var name = new Option<string>("--name") { Description = "Run name (default: run-<short id>)." };
        var config = new Option<string[]>("--config", "-c") { Description = "Config as key=value or @file.json (repeatable)." };
        var json = CommonOptions.Json();
        var command = new Command("start", "Start a run and print its id.") { project, jobType, name, config, json };
        command.SetAction(async (parse, ct) =>
        {
            var slug = cli.Project(parse.GetValue(project));
            using var client = cli.CreateClient();
            var git = GitInfo.Read(cli.WorkingDirectory);
            var run = await client.CreateRunAsync(slug, new CreateRunRequest(
                parse.GetRequiredValue(jobType), parse.GetValue(name), CliJson.ParseKeyValues(parse.GetValue(config), "--config"),
                git?.Commit, git?.Remote, Environment.MachineName), ct);
            if (parse.GetValue(json))
                cli.WriteJson(run);
            else
                cli.Stdout.WriteLine(run.Id);
            return PortalCli.ExitSuccess;
        });
        return command;
    }

    private static Command Log(CliContext cli)
    {
        var project = CommonOptions.Project();
        var runId = new Argument<Guid>("run") { Description = "The run id." };
        var metrics = new Argument<string[]>("metrics") { Description = "key=value numbers, e.g. loss=0.31 acc=0.92.", Arity = ArgumentArity.OneOrMore };
        var step = new Option<long>("--step") { Description = "Step of these points (default 0)." };
        var command = new Command("log", "Log metric points to a running run.") { project, runId, metrics, step };
        command.SetAction(async (parse, ct) =>
        {
            var slug = cli.Project(parse.GetValue(project));
            var points = new List<MetricPointRequest>();
            foreach (var item in parse.GetRequiredValue(metrics))
            {
                var equals = item.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0 || !double.TryParse(item[(equals + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                    throw CliException.Usage($"metric \"{item}\": expected key=number.");
                points.Add(new MetricPointRequest(item[..equals], parse.GetValue(step), value));
            }

            using var client = cli.CreateClient();
            var logged = await client.LogMetricsAsync(slug, parse.GetRequiredValue(runId), points, ct);
            cli.Info($"logged {logged.Logged} points");
            return PortalCli.ExitSuccess;
        });
        return command;
    }

    private static Command Finish(CliContext cli)
    {
        var project = CommonOptions.Project();
        var runId = new Argument<Guid>("run") { Description = "The run id." };
        var status = new Option<string>("--status") { Description = "finished, failed, crashed or killed.", DefaultValueFactory = _ => "finished" };
        status.AcceptOnlyFromAmong("finished", "failed", "crashed", "killed");
        var summary = new Option<string[]>("--summary", "-s") { Description = "Summary values as key=value or @file.json (repeatable)." };
        var json = CommonOptions.Json();
        var command = new Command("finish", "End a run.") { project, runId, status, summary, json };
        command.SetAction(async (parse, ct) =>
        {
            var slug = cli.Project(parse.GetValue(project));
            using var client = cli.CreateClient();
            var run = await client.FinishRunAsync(slug, parse.GetRequiredValue(runId),
                new FinishRunRequest(parse.GetValue(status)!, CliJson.ParseKeyValues(parse.GetValue(summary), "--summary")), ct);
            if (parse.GetValue(json))
                cli.WriteJson(run);
            else
                cli.Stdout.WriteLine($"{run.Id} {run.Status} after {run.DurationSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s");
            return PortalCli.ExitSuccess;
        });
        return command;
    }

    internal static JsonElement Summary(IDictionary<string, object?> values) => JsonSerializer.SerializeToElement(values, CliJson.Options);
}
