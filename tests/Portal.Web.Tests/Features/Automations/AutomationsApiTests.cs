using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Automations;
using Portal.Core.Features.Compare;
using Portal.Core.Features.Validation;
using Portal.Core.Features.Webhooks;

namespace Portal.Web.Tests.Features.Automations;

/// <summary>The portal with a small loop guard (3 runs per rule an hour) and the test SMTP server when there is one.</summary>
public abstract class AutomationsApp(DatabaseProvider provider) : PortalApp(provider)
{
    public const int MaxRunsPerHour = 3;

    protected override IDictionary<string, string?> Settings
    {
        get
        {
            var settings = new Dictionary<string, string?>
            {
                ["Automations:MaxRunsPerHour"] = MaxRunsPerHour.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Webhooks:Timeout"] = "00:00:05",
            };
            var endpoint = Environment.GetEnvironmentVariable(SmtpMailbox.SmtpVariable);
            if (!string.IsNullOrWhiteSpace(endpoint))
            {
                var colon = endpoint.LastIndexOf(':');
                settings["Email:From"] = "Portal <portal@tests.local>";
                settings["Email:Smtp:Host"] = endpoint[..colon];
                settings["Email:Smtp:Port"] = endpoint[(colon + 1)..];
                settings["Email:Smtp:Security"] = "None";
            }
            return settings;
        }
    }
}

public sealed class AutomationsSqliteApp() : AutomationsApp(DatabaseProvider.Sqlite);

public sealed class AutomationsPostgresApp() : AutomationsApp(DatabaseProvider.Postgres);

/// <summary>Each trigger with each action, the loop guard and the role matrix of the automation endpoints.</summary>
public abstract class AutomationsApiTests(AutomationsApp app)
{
    private static string Url(string slug, string rest = "") => $"/api/v1/projects/{slug}/automations{rest}";

    private static string CollectionUrl(string name, string rest = "") => $"/api/v1/registry/collections/{name}/automations{rest}";

    private static async Task<CreatedAutomationResponse> CreateAsync(HttpClient client, string url, CreateAutomationRequest request) =>
        await (await client.PostJsonAsync(url, request)).ReadOkAsync<CreatedAutomationResponse>(HttpStatusCode.Created);

    private Task<ArtifactVersionResponse> PublishAsync(TestProject team, string name, string type, string content) =>
        TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, name, type, null, "for automations", ("a.txt", content));

    /// <summary>Dispatches waiting events, then performs every pending run, as the recurring dispatcher and Hangfire would.</summary>
    private async Task DispatchAndRunAsync()
    {
        await app.WithServicesAsync(s => s.GetRequiredService<WebhookDispatcher>().ExecuteAsync(CancellationToken.None));
        var ids = await app.WithServicesAsync(async s =>
        {
            await using var db = await s.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await db.AutomationRuns.Where(r => r.Outcome == AutomationOutcome.Pending).OrderBy(r => r.Id).Select(r => r.Id).ToListAsync();
        });
        foreach (var id in ids)
            await app.WithServicesAsync(s => s.GetRequiredService<AutomationRunJob>().ExecuteAsync(id, CancellationToken.None));
    }

    private async Task<List<AutomationRunResponse>> RunsAsync(HttpClient client, string url, Guid ruleId) =>
        (await (await client.GetAsync($"{url}/{ruleId}/runs")).ReadOkAsync<PagedResponse<AutomationRunResponse>>()).Items.OrderBy(r => r.Id).ToList();

    private Task<T> WithDbAsync<T>(Func<PortalDbContext, Task<T>> read) =>
        app.WithServicesAsync(async s =>
        {
            await using var db = await s.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await read(db);
        });

    [SkippableFact]
    public async Task Version_committed_rules_compare_and_validate_versions_of_the_filtered_type()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var admin = app.ClientWithToken(team.Admin.Token);
        var compare = await CreateAsync(admin, Url(team.Slug), new CreateAutomationRequest("compare datasets", "version.committed", "compare", ArtifactType: "dataset"));
        var validate = await CreateAsync(admin, Url(team.Slug), new CreateAutomationRequest("validate all", "version.committed", "validate"));
        var models = await CreateAsync(admin, Url(team.Slug), new CreateAutomationRequest("models only", "version.committed", "compare", ArtifactType: "model"));
        Assert.Null(compare.Secret);
        Assert.Equal(("project", "dataset", "compare"), (compare.Rule.Scope, compare.Rule.ArtifactType, compare.Rule.Action));

        var v0 = await PublishAsync(team, "corpus", "dataset", "first");
        await DispatchAndRunAsync();
        // The commit queued a validation; say it finished, so the rule's re-queue is visible.
        await WithDbAsync(db => db.VersionValidations.Where(v => v.VersionId == v0.Id).ExecuteUpdateAsync(s => s.SetProperty(v => v.State, BackgroundJobState.Passed)));
        var v1 = await PublishAsync(team, "corpus", "dataset", "second");
        await WithDbAsync(db => db.VersionValidations.Where(v => v.VersionId == v1.Id).ExecuteUpdateAsync(s => s.SetProperty(v => v.State, BackgroundJobState.Passed)));
        await DispatchAndRunAsync();

        var compareRuns = await RunsAsync(admin, Url(team.Slug), compare.Rule.Id);
        Assert.Equal(2, compareRuns.Count);
        Assert.Equal(("skipped", v0.Id), (compareRuns[0].Outcome, compareRuns[0].SubjectVersionId));
        Assert.Contains("no previous version", compareRuns[0].Message, StringComparison.Ordinal);
        Assert.Equal(("succeeded", "corpus:v1", "version.committed"), (compareRuns[1].Outcome, compareRuns[1].SubjectVersion, compareRuns[1].EventType));
        Assert.Contains("corpus:v0 → corpus:v1", compareRuns[1].Message, StringComparison.Ordinal);
        Assert.True(await WithDbAsync(db => db.CompareReports.AnyAsync(r => r.FromVersionId == v0.Id && r.ToVersionId == v1.Id)));

        var validateRuns = await RunsAsync(admin, Url(team.Slug), validate.Rule.Id);
        Assert.Equal(["succeeded", "succeeded"], validateRuns.Select(r => r.Outcome));
        Assert.Equal(BackgroundJobState.Queued, await WithDbAsync(db => db.VersionValidations.Where(v => v.VersionId == v1.Id).Select(v => v.State).SingleAsync()));
        Assert.Empty(await RunsAsync(admin, Url(team.Slug), models.Rule.Id));

        // Dispatching again finds nothing new: one run per (event, rule).
        await DispatchAndRunAsync();
        Assert.Equal(2, (await RunsAsync(admin, Url(team.Slug), validate.Rule.Id)).Count);

        // The list shows each rule's last run.
        var listed = await (await app.ClientWithToken(team.Viewer.Token).GetAsync(Url(team.Slug))).ReadOkAsync<List<AutomationRuleResponse>>();
        Assert.Equal(3, listed.Count);
        Assert.Equal(compareRuns[1].Id, listed.Single(r => r.Id == compare.Rule.Id).LastRun?.Id);
        Assert.Null(listed.Single(r => r.Id == models.Rule.Id).LastRun);
    }

    [SkippableFact]
    public async Task An_alias_moved_rule_compares_against_the_alias_s_previous_version()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var admin = app.ClientWithToken(team.Admin.Token);
        var rule = await CreateAsync(admin, Url(team.Slug), new CreateAutomationRequest("staging diff", "alias.moved", "compare", Alias: "staging"));
        var v0 = await PublishAsync(team, "corpus", "dataset", "first");
        var v1 = await PublishAsync(team, "corpus", "dataset", "second");
        var contributor = app.ClientWithToken(team.Contributor.Token);
        foreach (var target in new[] { "v1", "v0" })
        {
            (await contributor.PutAsJsonAsync($"/api/v1/projects/{team.Slug}/artifacts/corpus/aliases/staging", new SetAliasRequest(target, "try"), HttpAssertions.Json))
                .EnsureSuccessStatusCode();
        }
        await DispatchAndRunAsync();

        var runs = await RunsAsync(admin, Url(team.Slug), rule.Rule.Id);
        Assert.Equal(2, runs.Count); // the latest moves do not match the filter
        Assert.Equal("skipped", runs[0].Outcome);
        Assert.Equal(("succeeded", v0.Id, "alias.moved"), (runs[1].Outcome, runs[1].SubjectVersionId, runs[1].EventType));
        // The rollback's report runs from where staging was (v1) to where it is (v0); commits never make that one.
        Assert.True(await WithDbAsync(db => db.CompareReports.AnyAsync(r => r.FromVersionId == v1.Id && r.ToVersionId == v0.Id)));
    }

    [SkippableFact]
    public async Task A_collection_rule_on_version_linked_compares_and_posts_a_signed_evaluation_request()
    {
        app.SkipIfUnavailable();
        await using var receiver = await WebhookReceiver.StartAsync();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var v0 = await PublishAsync(team, "index", "index", "alpha");
        var v1 = await PublishAsync(team, "index", "index", "beta");
        var name = TestData.UniqueSlug("auto");
        var admin = app.ClientWithToken(team.Admin.Token);
        await (await admin.PostJsonAsync("/api/v1/registry/collections", new CreateRegistryCollectionRequest(name, "index", "Retriever", "card", [], null)))
            .ReadOkAsync<RegistryCollectionResponse>(HttpStatusCode.Created);

        using var sdk = new PortalClient(app.ClientWithToken(team.Admin.Token));
        var compare = await sdk.CreateAutomationAsync(name, new CreateAutomationRequest("compare links", "version.linked", "compare"), collection: true);
        var evaluate = await sdk.CreateAutomationAsync(name, new CreateAutomationRequest("evaluate links", "version.linked", "evaluation_request", Url: receiver.Url + "/evaluate"), collection: true);
        Assert.Equal("collection", compare.Rule.Scope);
        Assert.StartsWith("whsec_", evaluate.Secret, StringComparison.Ordinal);
        Assert.Equal(receiver.Url + "/evaluate", evaluate.Rule.Url);

        foreach (var version in new[] { "v0", "v1" })
            await sdk.LinkRegistryVersionAsync(name, new LinkRegistryVersionRequest(team.Slug, "index", version));
        await DispatchAndRunAsync();

        var compareRuns = (await sdk.ListAutomationRunsAsync(name, compare.Rule.Id, collection: true)).Items.OrderBy(r => r.Id).ToList();
        Assert.Equal(["skipped", "succeeded"], compareRuns.Select(r => r.Outcome));
        Assert.Equal($"{name}:v1", compareRuns[1].SubjectVersion);
        Assert.Contains($"{name}:v0 → {name}:v1", compareRuns[1].Message, StringComparison.Ordinal);

        var evaluateRuns = (await sdk.ListAutomationRunsAsync(name, evaluate.Rule.Id, collection: true)).Items.OrderBy(r => r.Id).ToList();
        Assert.Equal(["succeeded", "succeeded"], evaluateRuns.Select(r => r.Outcome));
        Assert.Equal(2, receiver.Received.Count);
        var request = receiver.Received[^1];
        Assert.Equal(AutomationRunJob.EvaluationRequestType, request.Header(WebhookSignature.EventHeader));
        Assert.True(WebhookSignature.Verify(evaluate.Secret!, request.Header(WebhookSignature.TimestampHeader), request.Header(WebhookSignature.SignatureHeader),
            request.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify("whsec_other", request.Header(WebhookSignature.TimestampHeader), request.Header(WebhookSignature.SignatureHeader),
            request.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal(name, body.RootElement.GetProperty("project").GetString());
        Assert.Equal("version.linked", body.RootElement.GetProperty("event").GetProperty("type").GetString());
        Assert.Equal($"{name}:v1", body.RootElement.GetProperty("subject").GetProperty("version").GetString());
        Assert.Equal(v1.ManifestDigest, body.RootElement.GetProperty("subject").GetProperty("digest").GetString());
        Assert.NotEqual(v0.ManifestDigest, v1.ManifestDigest);

        // A receiver that refuses makes a failed run with its answer.
        receiver.AnswerWith(503);
        var other = await PublishAsync(team, "index", "index", "gamma");
        await sdk.LinkRegistryVersionAsync(name, new LinkRegistryVersionRequest(team.Slug, "index", other.Version));
        await DispatchAndRunAsync();
        var last = (await sdk.ListAutomationRunsAsync(name, evaluate.Rule.Id, collection: true, limit: 1)).Items.Single();
        Assert.Equal("failed", last.Outcome);
        Assert.Contains("503", last.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task The_loop_guard_skips_runs_past_the_hourly_limit()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var admin = app.ClientWithToken(team.Admin.Token);
        var rule = await CreateAsync(admin, Url(team.Slug), new CreateAutomationRequest("validate", "version.committed", "validate"));
        for (var i = 0; i < AutomationsApp.MaxRunsPerHour + 2; i++)
            await PublishAsync(team, "corpus", "dataset", $"content {i}");
        await DispatchAndRunAsync();
        var runs = await RunsAsync(admin, Url(team.Slug), rule.Rule.Id);
        Assert.Equal(AutomationsApp.MaxRunsPerHour + 2, runs.Count);
        Assert.Equal(AutomationsApp.MaxRunsPerHour, runs.Count(r => r.Outcome == "succeeded"));
        var skipped = runs.Where(r => r.Outcome == "skipped").ToList();
        Assert.Equal(2, skipped.Count);
        Assert.All(skipped, r => Assert.Contains("Automations:MaxRunsPerHour", r.Message, StringComparison.Ordinal));
        Assert.All(skipped, r => Assert.Null(r.StartedAt));

        // A disabled rule makes no runs.
        (await admin.PatchAsJsonAsync(Url(team.Slug, $"/{rule.Rule.Id}"), new UpdateAutomationRequest(Enabled: false), HttpAssertions.Json)).EnsureSuccessStatusCode();
        await PublishAsync(team, "corpus", "dataset", "after disabling");
        await DispatchAndRunAsync();
        Assert.Equal(AutomationsApp.MaxRunsPerHour + 2, (await RunsAsync(admin, Url(team.Slug), rule.Rule.Id)).Count);
    }

    [SkippableFact]
    public async Task A_run_is_performed_once_and_a_run_left_running_by_a_dead_worker_is_taken_up_again()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var admin = app.ClientWithToken(team.Admin.Token);
        var rule = await CreateAsync(admin, Url(team.Slug), new CreateAutomationRequest("validate", "version.committed", "validate"));
        await PublishAsync(team, "corpus", "dataset", "one");
        await app.WithServicesAsync(s => s.GetRequiredService<WebhookDispatcher>().ExecuteAsync(CancellationToken.None));
        var runId = await WithDbAsync(db => db.AutomationRuns.Where(r => r.RuleId == rule.Rule.Id).Select(r => r.Id).SingleAsync());
        Task<AutomationOutcome?> ExecuteAsync() => app.WithServicesAsync(s => s.GetRequiredService<AutomationRunJob>().ExecuteAsync(runId, CancellationToken.None));

        // Another worker holds it: this attempt leaves it alone.
        await WithDbAsync(db => db.AutomationRuns.Where(r => r.Id == runId)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.Outcome, AutomationOutcome.Running).SetProperty(r => r.StartedAt, DateTimeOffset.UtcNow)));
        Assert.Equal(AutomationOutcome.Running, await ExecuteAsync());
        // That worker died long ago: the run is taken up again, once.
        await WithDbAsync(db => db.AutomationRuns.Where(r => r.Id == runId)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.StartedAt, DateTimeOffset.UtcNow - AutomationDispatch.StaleAfter - TimeSpan.FromMinutes(1))));
        Assert.Contains(runId, await WithDbAsync(db => AutomationDispatch.OverdueQuery(db, DateTimeOffset.UtcNow).ToListAsync()));
        Assert.Equal(AutomationOutcome.Succeeded, await ExecuteAsync());
        Assert.Equal(AutomationOutcome.Succeeded, await ExecuteAsync());
        Assert.Equal(1, await WithDbAsync(db => db.AutomationRuns.Where(r => r.Id == runId).Select(r => r.Attempts).SingleAsync()));
        Assert.DoesNotContain(runId, await WithDbAsync(db => AutomationDispatch.OverdueQuery(db, DateTimeOffset.UtcNow).ToListAsync()));
    }

    [SkippableFact]
    public async Task An_email_rule_mails_the_members_through_smtp()
    {
        app.SkipIfUnavailable();
        Skip.If(SmtpMailbox.UnavailableReason is not null, SmtpMailbox.UnavailableReason);
        using var mailbox = SmtpMailbox.Open();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var admin = app.ClientWithToken(team.Admin.Token);
        var rule = await CreateAsync(admin, Url(team.Slug), new CreateAutomationRequest("tell everyone", "version.committed", "email"));
        await PublishAsync(team, "corpus", "dataset", "mail me");
        await DispatchAndRunAsync();
        var run = Assert.Single(await RunsAsync(admin, Url(team.Slug), rule.Rule.Id));
        Assert.Equal("succeeded", run.Outcome);
        Assert.StartsWith("E-mailed ", run.Message, StringComparison.Ordinal);
        var (message, deliveredTo) = await mailbox.WaitForAsync(team.Viewer.Email);
        Assert.Contains(team.Viewer.Email, deliveredTo);
        Assert.Contains("tell everyone", message.Subject);
        Assert.Contains("corpus:v0", message.TextBody);
    }

    [SkippableFact]
    public async Task Rules_are_validated_and_unknown_ones_are_not_found()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var admin = app.ClientWithToken(team.Admin.Token);
        foreach (var bad in new[]
                 {
                     new CreateAutomationRequest("", "version.committed", "compare"),
                     new CreateAutomationRequest("x", "version.deleted", "compare"),
                     new CreateAutomationRequest("x", "version.committed", "deploy"),
                     new CreateAutomationRequest("x", "version.linked", "compare"), // a project has no links
                     new CreateAutomationRequest("x", "alias.moved", "compare", ArtifactType: "dataset"),
                     new CreateAutomationRequest("x", "version.committed", "compare", Alias: "staging"),
                     new CreateAutomationRequest("x", "version.committed", "compare", ArtifactType: "Not A Type"),
                     new CreateAutomationRequest("x", "alias.moved", "compare", Alias: "bad alias"),
                     new CreateAutomationRequest("x", "version.committed", "compare", Url: "https://eval.example.test/"),
                     new CreateAutomationRequest("x", "version.committed", "evaluation_request"),
                     new CreateAutomationRequest("x", "version.committed", "evaluation_request", Url: "ftp://eval.example.test/"),
                 })
        {
            await (await admin.PostJsonAsync(Url(team.Slug), bad)).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.AutomationInvalid);
        }

        var missing = Guid.NewGuid();
        await (await admin.GetAsync(Url(team.Slug, $"/{missing}/runs"))).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.AutomationNotFound);
        await (await admin.DeleteAsync(Url(team.Slug, $"/{missing}"))).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.AutomationNotFound);

        var rule = await CreateAsync(admin, Url(team.Slug), new CreateAutomationRequest("x", "version.committed", "compare"));
        var renamed = await (await admin.PatchAsJsonAsync(Url(team.Slug, $"/{rule.Rule.Id}"), new UpdateAutomationRequest(Name: "renamed", ArtifactType: "model"), HttpAssertions.Json))
            .ReadOkAsync<AutomationRuleResponse>();
        Assert.Equal(("renamed", "model"), (renamed.Name, renamed.ArtifactType));
        await (await admin.PatchAsJsonAsync(Url(team.Slug, $"/{rule.Rule.Id}"), new UpdateAutomationRequest(Url: "https://x.example.test/"), HttpAssertions.Json))
            .AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.AutomationInvalid);

        // A rule of one project is not found through another.
        var other = await app.Data.CreateProjectAsync(team.Admin);
        await (await admin.DeleteAsync(Url(other.Slug, $"/{rule.Rule.Id}"))).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.AutomationNotFound);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync(Url(team.Slug, $"/{rule.Rule.Id}"))).StatusCode);

        var log = await (await admin.GetAsync($"/api/v1/audit/events?project={team.Slug}&action=automation.")).ReadOkAsync<PagedResponse<AuditEventResponse>>();
        Assert.Equal(["automation.created", "automation.deleted", "automation.updated"], log.Items.Select(e => e.Action).Order().ToList());
    }

    [SkippableFact]
    public async Task Readers_list_rules_and_runs_and_only_admins_manage_them()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var admin = app.ClientWithToken(team.Admin.Token);
        var rule = await CreateAsync(admin, Url(team.Slug), new CreateAutomationRequest("eval", "version.committed", "evaluation_request", Url: "https://eval.example.test/run"));
        var outsider = await app.Data.CreateUserAsync("outsider");
        foreach (var member in new[] { team.Reviewer, team.Contributor, team.Viewer })
        {
            var client = app.ClientWithToken(member.Token);
            var listed = Assert.Single(await (await client.GetAsync(Url(team.Slug))).ReadOkAsync<List<AutomationRuleResponse>>());
            Assert.Null(listed.Url); // the receiver's address is for admins
            await (await client.GetAsync(Url(team.Slug, $"/{rule.Rule.Id}/runs"))).ReadOkAsync<PagedResponse<AutomationRunResponse>>();
            await (await client.PostJsonAsync(Url(team.Slug), new CreateAutomationRequest("x", "version.committed", "compare"))).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
            await (await client.PatchAsJsonAsync(Url(team.Slug, $"/{rule.Rule.Id}"), new UpdateAutomationRequest(Enabled: false), HttpAssertions.Json))
                .AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
            await (await client.DeleteAsync(Url(team.Slug, $"/{rule.Rule.Id}"))).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        }
        Assert.Equal("https://eval.example.test/run", Assert.Single(await (await admin.GetAsync(Url(team.Slug))).ReadOkAsync<List<AutomationRuleResponse>>()).Url);
        await (await app.ClientWithToken(outsider.Token).GetAsync(Url(team.Slug))).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ProjectNotFound);
        await (await app.AnonymousClient().GetAsync(Url(team.Slug))).AssertProblemAsync(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);

        // A collection: every signed-in user reads its rules; its members below Admin and outsiders cannot manage them.
        var name = TestData.UniqueSlug("auto");
        await (await admin.PostJsonAsync("/api/v1/registry/collections", new CreateRegistryCollectionRequest(name, "index", "Retriever", "card", [], null)))
            .ReadOkAsync<RegistryCollectionResponse>(HttpStatusCode.Created);
        await app.Data.AddMemberAsync(team.Admin, name, team.Contributor, ProjectRole.Contributor);
        var collectionRule = await CreateAsync(admin, CollectionUrl(name), new CreateAutomationRequest("compare", "version.linked", "compare"));
        foreach (var user in new[] { team.Contributor, outsider })
        {
            var client = app.ClientWithToken(user.Token);
            Assert.Single(await (await client.GetAsync(CollectionUrl(name))).ReadOkAsync<List<AutomationRuleResponse>>());
            await (await client.PostJsonAsync(CollectionUrl(name), new CreateAutomationRequest("x", "version.linked", "compare"))).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
            await (await client.DeleteAsync(CollectionUrl(name, $"/{collectionRule.Rule.Id}"))).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        }
        await (await admin.GetAsync(CollectionUrl("no-such-collection"))).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.RegistryCollectionNotFound);
        // A collection's rules are not reached through the project routes.
        await (await admin.GetAsync(Url(name))).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ProjectNotFound);
    }
}

public sealed class AutomationsApiTests_Sqlite(AutomationsSqliteApp app) : AutomationsApiTests(app), IClassFixture<AutomationsSqliteApp>;

public sealed class AutomationsApiTests_Postgres(AutomationsPostgresApp app) : AutomationsApiTests(app), IClassFixture<AutomationsPostgresApp>;
