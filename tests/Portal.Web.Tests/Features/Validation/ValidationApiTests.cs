using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Checks;
using Portal.Core.Features.Compare;
using Portal.Core.Features.Events;
using Portal.Core.Features.Validation;

namespace Portal.Web.Tests.Features.Validation;

public abstract class ValidationApiTests(PortalApp app)
{
    private static string Rows(int from, int count, Func<int, string>? text = null) =>
        string.Concat(Enumerable.Range(from, count).Select(i => $"{{\"id\":{i},\"text\":\"{text?.Invoke(i) ?? "row number " + i}\",\"label\":\"{(i % 3 == 0 ? "a" : "b")}\"}}\n"));

    private async Task RunAsync<TJob>(Func<TJob, Task> run) where TJob : notnull
    {
        await using var scope = app.Services.CreateAsyncScope();
        await run(scope.ServiceProvider.GetRequiredService<TJob>());
    }

    [SkippableFact]
    public async Task A_commit_queues_validation_and_a_report_and_running_each_job_twice_has_one_effect()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        // Ten changed texts may shift the length distribution of a 56-row file: drift only warns here.
        var defaults = await app.ClientWithToken(team.Admin.Token).PutAsJsonAsync($"/api/v1/projects/{team.Slug}/validation-rules/*", new ValidationRules { DriftSeverity = CheckSeverity.Warning });
        Assert.Equal(HttpStatusCode.OK, defaults.StatusCode);
        var v0 = await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "train", "dataset", null, "",
            ("train.jsonl", Rows(1, 50)));
        var v1 = await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "train", "dataset", null, "",
            ("train.jsonl", Rows(1, 40) + Rows(41, 10, i => "changed " + i) + Rows(100, 5) + "{\"id\":200,\"text\":\"mail jane.doe@example.com or card 4111 1111 1111 1111\",\"label\":\"a\"}\n"),
            ("empty.txt", ""));
        var client = app.ClientWithToken(team.Viewer.Token);

        var queued = await (await client.GetAsync($"/api/v1/projects/{team.Slug}/versions/{v1.Id}/validation")).ReadOkAsync<ValidationResponse>();
        Assert.Equal(JobStates.Queued, queued.State);
        var checks = app.Services.CreateScope().ServiceProvider.GetRequiredService<IVersionCheckStatusSource>();
        Assert.Equal(VersionCheckState.Queued, (await checks.GetValidationAsync(v1.Id, default)).State);

        await RunAsync<ValidationJob>(j => j.ExecuteAsync(v0.Id, default));
        await RunAsync<ValidationJob>(j => j.ExecuteAsync(v1.Id, default));
        var first = await (await client.GetAsync($"/api/v1/projects/{team.Slug}/versions/{v1.Id}/validation")).ReadOkAsync<ValidationResponse>();
        await RunAsync<ValidationJob>(j => j.ExecuteAsync(v1.Id, default));
        var second = await (await client.GetAsync($"/api/v1/projects/{team.Slug}/versions/{v1.Id}/validation")).ReadOkAsync<ValidationResponse>();

        Assert.Equal(JobStates.Passed, first.State);
        Assert.Equal(first.FinishedAt, second.FinishedAt);
        Assert.Equal(first.Findings.Count, second.Findings.Count);
        var email = Assert.Single(second.Findings, f => f.Code == "pii.email");
        Assert.Equal("train.jsonl", email.Path);
        Assert.Equal(56, Assert.Single(email.Locations).Line);
        Assert.Equal("j***@e***.com", email.Locations[0].Excerpt);
        Assert.Contains(second.Findings, f => f.Code == "pii.payment_card" && f.Locations[0].Excerpt.EndsWith("1111", StringComparison.Ordinal) && !f.Locations[0].Excerpt.Contains("4111", StringComparison.Ordinal));
        Assert.Contains(second.Findings, f => f.Code == "empty.file" && f.Path == "empty.txt");
        Assert.Contains(second.Findings, f => f.Code == "license.missing");
        Assert.Equal(VersionCheckState.Passed, (await checks.GetValidationAsync(v1.Id, default)).State);

        Guid reportId;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            Assert.Equal(1, await db.AuditEvents.CountAsync(e => e.Action == "version_validation.finished" && e.TargetId == v1.Id.ToString()));
            Assert.Equal(1, await db.PortalEvents.CountAsync(e => e.Type == PortalEventTypes.ValidationFinished && e.PayloadJson.Contains(v1.Id.ToString())));
            reportId = await db.CompareReports.Where(r => r.FromVersionId == v0.Id && r.ToVersionId == v1.Id).Select(r => r.Id).SingleAsync();
        }

        await RunAsync<CompareReportJob>(j => j.ExecuteAsync(reportId, default));
        await RunAsync<CompareReportJob>(j => j.ExecuteAsync(reportId, default));
        var report = await (await client.GetAsync($"/api/v1/projects/{team.Slug}/compare-reports?from={v0.Id}&to={v1.Id}")).ReadOkAsync<CompareReportResponse>();
        Assert.Equal(JobStates.Finished, report.Report.State);
        var rows = Assert.Single(report.Rows);
        Assert.Equal("id", rows.KeyColumn);
        Assert.Equal((6L, 0L, 10L, 40L), (rows.Added, rows.Removed, rows.Modified, rows.Unchanged));
        Assert.Contains(rows.Samples, s => s.Kind == "modified" && s.Key == "41" && s.ChangedFields.SequenceEqual(["text"]));
        Assert.Equal(1, report.Files!.Added);
        Assert.Equal(VersionCheckState.Passed, (await checks.GetCompareReportAsync(v0.Id, v1.Id, default)).State);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            Assert.Equal(1, await db.AuditEvents.CountAsync(e => e.Action == "compare_report.finished" && e.TargetId == reportId.ToString()));
        }

        foreach (var (format, marker) in new[] { ("html", "<h1>Compare report</h1>"), ("md", "# Compare report"), ("csv", "section,change,path") })
        {
            var download = await client.GetAsync($"/api/v1/projects/{team.Slug}/compare-reports/{reportId}/download?format={format}");
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            Assert.Contains(marker, await download.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var sdk = new PortalClient(client);
        Assert.Equal(report.Report.Id, (await sdk.FindCompareReportAsync(team.Slug, v0.Id, v1.Id)).Report.Id);
        Assert.Equal(report.Report.Id, (await sdk.FindCompareReportAsync(team.Slug, "train:v0", "train:latest")).Report.Id);
        // The request body names versions as everywhere else: by id, name:vN, name:alias or digest prefix.
        using var contributorSdk = new PortalClient(app.ClientWithToken(team.Contributor.Token));
        var digestPrefix = "train:" + v0.ManifestDigest[..16];
        Assert.Equal(report.Report.Id, (await contributorSdk.RequestCompareReportAsync(team.Slug, new CompareReportRequest(digestPrefix, "train:v1"))).Report.Id);
        Assert.Equal(report.Report.Id, (await contributorSdk.RequestCompareReportAsync(team.Slug, new CompareReportRequest(v0.Id.ToString(), "train:latest"))).Report.Id);
        var unknown = await Assert.ThrowsAsync<PortalApiException>(() => contributorSdk.RequestCompareReportAsync(team.Slug, new CompareReportRequest("train:v9", "train:v1")));
        Assert.Equal((HttpStatusCode.NotFound, ErrorCodes.VersionNotFound), (unknown.Status, unknown.Code));
        var unnamed = await Assert.ThrowsAsync<PortalApiException>(() => contributorSdk.RequestCompareReportAsync(team.Slug, new CompareReportRequest("v0", "train:v1")));
        Assert.Equal((HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed), (unnamed.Status, unnamed.Code));
        Assert.Equal(JobStates.Passed, (await sdk.GetValidationAsync(team.Slug, v1.Id)).State);
        var live = await sdk.DiffRowsAsync(team.Slug, v0.Id, v1.Id, "train.jsonl", keyColumn: "text");
        Assert.Equal("text", live.Diff.KeyColumn);
        Assert.Equal(16, live.Diff.Added);
        Assert.Equal(live.Diff.Added, (await sdk.DiffRowsAsync(team.Slug, "train:v0", "train:latest", "train.jsonl", keyColumn: "text")).Diff.Added);
        Assert.Equal(10, live.Diff.Removed);
    }

    [SkippableFact]
    public async Task Rules_are_read_by_members_and_changed_by_admins_and_fail_a_version()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var rules = new ValidationRules { RequiredFields = [new RequiredField("id", "integer"), new RequiredField("text", "string")], LicenseSeverity = CheckSeverity.Off };
        var url = $"/api/v1/projects/{team.Slug}/validation-rules/dataset";
        await (await app.ClientWithToken(team.Contributor.Token).PutAsJsonAsync(url, rules)).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        var stranger = await app.Data.CreateUserAsync();
        await (await app.ClientWithToken(stranger.Token).GetAsync(url)).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ProjectNotFound);
        await (await app.ClientWithToken(team.Admin.Token).PutAsJsonAsync(url, rules with { PiiSeverity = "loud" })).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationRulesInvalid);
        var saved = await (await app.ClientWithToken(team.Admin.Token).PutAsJsonAsync(url, rules)).ReadOkAsync<ValidationRuleSetResponse>();
        Assert.False(saved.IsDefault);
        var read = await (await app.ClientWithToken(team.Viewer.Token).GetAsync(url)).ReadOkAsync<ValidationRuleSetResponse>();
        Assert.Equal(["id", "text"], read.Rules.RequiredFields.Select(f => f.Name));

        var v0 = await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "typed", "dataset", null, "",
            ("a.jsonl", "{\"id\":1,\"text\":\"ok\"}\n{\"id\":\"2\",\"text\":\"id is a string\"}\n{\"id\":3}\nnot json\n"));
        await RunAsync<ValidationJob>(j => j.ExecuteAsync(v0.Id, default));
        var result = await (await app.ClientWithToken(team.Viewer.Token).GetAsync($"/api/v1/projects/{team.Slug}/versions/{v0.Id}/validation")).ReadOkAsync<ValidationResponse>();
        Assert.Equal(JobStates.Failed, result.State);
        Assert.Equal([2L], Assert.Single(result.Findings, f => f.Code == "schema.type:id").Locations.Select(l => l.Line));
        Assert.Equal([3L], Assert.Single(result.Findings, f => f.Code == "schema.missing:text").Locations.Select(l => l.Line));
        Assert.Equal([4L], Assert.Single(result.Findings, f => f.Code == "schema.invalid_json").Locations.Select(l => l.Line));

        await (await app.ClientWithToken(team.Viewer.Token).PostAsync($"/api/v1/projects/{team.Slug}/versions/{v0.Id}/validation", null))
            .AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        var rerun = await app.ClientWithToken(team.Contributor.Token).PostAsync($"/api/v1/projects/{team.Slug}/versions/{v0.Id}/validation", null);
        Assert.Equal(HttpStatusCode.Accepted, rerun.StatusCode);
        await (await app.ClientWithToken(team.Viewer.Token).PostAsJsonAsync($"/api/v1/projects/{team.Slug}/compare-reports", new CompareReportRequest(v0.Id.ToString(), v0.Id.ToString())))
            .AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        await (await app.ClientWithToken(stranger.Token).GetAsync($"/api/v1/projects/{team.Slug}/versions/{v0.Id}/validation"))
            .AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ProjectNotFound);
    }

    [SkippableFact]
    public async Task Text_that_once_crashed_validation_and_an_unreadable_file_give_findings_not_a_validation_that_could_not_run()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        // A licence holding a NUL reaches the finding's message, which PostgreSQL must store.
        var version = await TestArtifacts.PublishWithMetadataAsync(app.Services, team.Contributor.Principal, team.Slug, "handbook", "documents", null, "",
            "{\"license\":\"Custom\\u0000 terms\"}",
            ("office.txt", "Offices\nranges 10..20..30..40\nSingapore (SG.) office\nLondon: 020 7946 0958\n"),
            ("archive.txt.gz", "plain text, although the name says gzip\n"),
            ("rows.jsonl", "{\"text\":\"a\",\"label\":\"\\ud800\"}\n{\"text\":\"b\",\"label\":\"ok\"}\n"));

        await RunAsync<ValidationJob>(j => j.ExecuteAsync(version.Id, default));
        var result = await (await app.ClientWithToken(team.Viewer.Token).GetAsync($"/api/v1/projects/{team.Slug}/versions/{version.Id}/validation")).ReadOkAsync<ValidationResponse>();

        Assert.Equal(JobStates.Failed, result.State);
        Assert.StartsWith("Failed: 1 error,", result.Summary, StringComparison.Ordinal);
        Assert.Equal(2, result.FilesScanned);
        var unreadable = Assert.Single(result.Findings, f => f.Severity == CheckSeverity.Error);
        Assert.Equal(("file.unreadable", "archive.txt.gz", 1L), (unreadable.Code, unreadable.Path, unreadable.Locations.Single().Line));
        Assert.Equal([4L], Assert.Single(result.Findings, f => f.Code == "pii.phone").Locations.Select(l => l.Line));
        var licence = Assert.Single(result.Findings, f => f.Code == "license.unknown");
        Assert.DoesNotContain('\0', licence.Message);
        Assert.DoesNotContain(result.Findings, f => f.Code.EndsWith(".check_failed", StringComparison.Ordinal));
    }
}

public sealed class ValidationApiTests_Sqlite(SqliteApp app) : ValidationApiTests(app), IClassFixture<SqliteApp>;

public sealed class ValidationApiTests_Postgres(PostgresApp app) : ValidationApiTests(app), IClassFixture<PostgresApp>;

public sealed class ValidationApiTests_SqlServer(SqlServerApp app) : ValidationApiTests(app), IClassFixture<SqlServerApp>;
