namespace Portal.Cli.Tests.Commands;

[Collection(CliCollection.Name)]
public sealed class RunCommandTests(CliApp app)
{
    [Fact]
    public async Task Exec_records_a_finished_run_with_host_git_duration_and_stdout_tail()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);

        var result = await cli.RunAsync("run", "exec", "-p", team.Slug, "-j", "data_processing", "--tail", "2", "--", "sh", "-c", "echo one; echo two; echo three; echo oops >&2");

        Assert.Equal(0, result.Exit);
        Assert.Equal(["one", "two", "three"], result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("oops", result.Stderr);
        using var sdk = app.Sdk(team.Contributor.Token);
        var run = Assert.Single((await sdk.ListRunsAsync(team.Slug)).Items);
        Assert.Equal("finished", run.Status);
        Assert.Equal("data_processing", run.JobType);
        Assert.Equal(Environment.MachineName, run.Host);
        Assert.NotNull(run.FinishedAt);
        Assert.Equal(0, run.Summary.GetProperty("exit_code").GetInt32());
        Assert.Equal("two\nthree", run.Summary.GetProperty("stdout_tail").GetString());
        Assert.True(run.Summary.GetProperty("duration_seconds").GetDouble() >= 0);
    }

    [Fact]
    public async Task Exec_of_a_failing_command_marks_the_run_failed_and_returns_its_exit_code()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);

        var result = await cli.RunAsync("run", "exec", "-p", team.Slug, "--", "sh", "-c", "exit 3");

        Assert.Equal(3, result.Exit);
        Assert.Contains("failed (exit 3)", result.Stderr);
        using var sdk = app.Sdk(team.Contributor.Token);
        var run = Assert.Single((await sdk.ListRunsAsync(team.Slug)).Items);
        Assert.Equal("failed", run.Status);
        Assert.Equal(3, run.Summary.GetProperty("exit_code").GetInt32());
    }

    [Fact]
    public async Task Exec_of_a_missing_program_fails_the_run_with_127()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);

        var result = await cli.RunAsync("run", "exec", "-p", team.Slug, "--", "no-such-program-" + Guid.NewGuid().ToString("N"));

        Assert.Equal(127, result.Exit);
        Assert.StartsWith("error: cannot start", result.Stderr.Split('\n').Last(l => l.Length > 0));
        using var sdk = app.Sdk(team.Contributor.Token);
        Assert.Equal("failed", Assert.Single((await sdk.ListRunsAsync(team.Slug)).Items).Status);
    }

    [Fact]
    public async Task Start_log_finish_record_metrics_and_summary()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);

        var id = Guid.Parse((await cli.OkAsync("run", "start", "-p", team.Slug, "-j", "model_training", "--name", "baseline", "-c", "lr=0.01")).Trim());
        await cli.OkAsync("run", "log", id.ToString(), "loss=0.5", "acc=0.8", "--step", "1", "-p", team.Slug);
        await cli.OkAsync("run", "finish", id.ToString(), "-p", team.Slug, "-s", "best=0.8");

        using var sdk = app.Sdk(team.Contributor.Token);
        var run = await sdk.GetRunAsync(team.Slug, id);
        Assert.Equal("finished", run.Status);
        Assert.Equal("baseline", run.Name);
        Assert.Equal(0.01, run.Config!.Value.GetProperty("lr").GetDouble());
        Assert.Equal(0.8, run.Summary.GetProperty("best").GetDouble());
        var history = await sdk.GetMetricHistoryAsync(team.Slug, id, ["loss"]);
        Assert.Equal(0.5, Assert.Single(Assert.Single(history).Points).Value);
    }

    [Fact]
    public async Task A_put_inside_exec_is_recorded_as_produced_by_the_run()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        cli.Write("data/a.txt", "a\n");
        var portal = typeof(PortalCli).Assembly.Location;

        var result = await cli.RunAsync("run", "exec", "-p", team.Slug, "--", "dotnet", portal, "artifact", "put", cli.PathTo("data"), "-n", "out", "-t", "dataset");

        Assert.True(result.Exit == 0, result.Stderr);
        using var sdk = app.Sdk(team.Contributor.Token);
        var run = Assert.Single((await sdk.ListRunsAsync(team.Slug)).Items);
        var version = await sdk.ResolveVersionAsync(team.Slug, "out:v0");
        Assert.Equal(run.Id, version.CreatedByRunId);
    }

    [Fact]
    public async Task A_get_inside_exec_is_recorded_as_an_input_of_the_run()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        cli.Write("data/a.txt", "a\n");
        await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "corpus", "-t", "dataset");
        await cli.OkAsync("artifact", "get", "corpus:v0", "-p", team.Slug, "-o", cli.PathTo("out")); // already there: no download at all
        var portal = typeof(PortalCli).Assembly.Location;

        var result = await cli.RunAsync("run", "exec", "-p", team.Slug, "--", "dotnet", portal, "artifact", "get", "corpus:v0", "-o", cli.PathTo("out"));

        Assert.True(result.Exit == 0, result.Stderr);
        using var sdk = app.Sdk(team.Contributor.Token);
        var run = Assert.Single((await sdk.ListRunsAsync(team.Slug)).Items);
        var input = Assert.Single((await sdk.GetRunLineageAsync(team.Slug, run.Id)).Inputs);
        Assert.Equal(("corpus", 0), (input.ArtifactName, input.Index));
    }

    [Fact]
    public async Task The_sdk_records_the_versions_it_downloads_inside_a_run()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        cli.Write("data/a.txt", "a\n");
        cli.Write("data/b.txt", "b\n");
        await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "corpus", "-t", "dataset");
        using var sdk = app.Sdk(team.Contributor.Token);
        var version = await sdk.ResolveVersionAsync(team.Slug, "corpus:v0");
        var run = await sdk.CreateRunAsync(team.Slug, new CreateRunRequest("training", null, null, null, null, null));
        var (runId, project) = PortalClient.AmbientRun(new Dictionary<string, string?>
        {
            ["PORTAL_RUN_ID"] = run.Id.ToString(),
            ["PORTAL_PROJECT"] = team.Slug,
        }.GetValueOrDefault);
        using var inRun = new PortalClient(new Uri(app.BaseUrl), team.Contributor.Token) { RunId = runId, RunProject = project };

        await inRun.DownloadVersionFileAsync(team.Slug, version.Id, "a.txt", Stream.Null);
        await inRun.DownloadVersionFileAsync(team.Slug, version.Id, "b.txt", Stream.Null);
        await sdk.DownloadVersionFileAsync(team.Slug, version.Id, "a.txt", Stream.Null); // not in a run

        var input = Assert.Single((await sdk.GetRunLineageAsync(team.Slug, run.Id)).Inputs);
        Assert.Equal(version.Id, input.VersionId);
        Assert.Equal(run.Id, runId);
        Assert.Equal(team.Slug, project);
    }

    [Fact]
    public async Task Finish_accepts_killed()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        var id = (await cli.OkAsync("run", "start", "-p", team.Slug, "-j", "model_training")).Trim();

        await cli.OkAsync("run", "finish", id, "-p", team.Slug, "--status", "killed");

        using var sdk = app.Sdk(team.Contributor.Token);
        Assert.Equal("killed", (await sdk.GetRunAsync(team.Slug, Guid.Parse(id))).Status);
    }
}
