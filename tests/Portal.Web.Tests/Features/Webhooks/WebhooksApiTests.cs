using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Webhooks;

namespace Portal.Web.Tests.Features.Webhooks;

/// <summary>The portal with short webhook back-off and timeout, so retries happen within a test.</summary>
public abstract class WebhooksApp(DatabaseProvider provider) : PortalApp(provider)
{
    public static readonly TimeSpan RetryBase = TimeSpan.FromMilliseconds(1500);

    /// <summary>Long enough that a healthy answer on a loaded 2-core machine never times out.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(4);

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Webhooks:RetryBaseDelay"] = RetryBase.ToString(),
        ["Webhooks:Timeout"] = Timeout.ToString(),
        ["Webhooks:MaxAttempts"] = "3",
    };
}

public sealed class WebhooksSqliteApp() : WebhooksApp(DatabaseProvider.Sqlite);

public sealed class WebhooksPostgresApp() : WebhooksApp(DatabaseProvider.Postgres);

public abstract class WebhooksApiTests(WebhooksApp app)
{
    private static string Url(TestProject team, string rest = "") => $"/api/v1/projects/{team.Slug}/webhooks{rest}";

    private static async Task<CreatedWebhookResponse> CreateAsync(HttpClient client, TestProject team, string url, params string[] types) =>
        await (await client.PostJsonAsync(Url(team), new CreateWebhookRequest(url, types, "tests"))).ReadOkAsync<CreatedWebhookResponse>(HttpStatusCode.Created);

    private Task<ArtifactVersionResponse> PublishAsync(TestProject team, string name, string content) =>
        TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, name, "dataset", null, "for webhooks", ("a.txt", content));

    private Task<int> DispatchAsync() =>
        app.WithServicesAsync(s => s.GetRequiredService<WebhookDispatcher>().ExecuteAsync(CancellationToken.None));

    /// <summary>Runs the delivery job for every delivery of the webhook that is due now, as Hangfire would.</summary>
    private async Task<int> DeliverDueAsync(Guid webhookId)
    {
        var ids = await app.WithServicesAsync(async s =>
        {
            await using var db = await s.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            var now = DateTimeOffset.UtcNow;
            return await db.WebhookDeliveries.Where(d => d.WebhookId == webhookId && d.State == WebhookDeliveryState.Pending && d.NextAttemptAt <= now)
                .OrderBy(d => d.Id).Select(d => d.Id).ToListAsync();
        });
        foreach (var id in ids)
            await app.WithServicesAsync(s => s.GetRequiredService<WebhookDeliveryJob>().ExecuteAsync(id, CancellationToken.None));
        return ids.Count;
    }

    private static async Task<PagedResponse<WebhookDeliveryResponse>> DeliveriesAsync(HttpClient client, TestProject team, Guid webhookId) =>
        await (await client.GetAsync(Url(team, $"/{webhookId}/deliveries"))).ReadOkAsync<PagedResponse<WebhookDeliveryResponse>>();

    private static bool Verifies(ReceivedWebhook request, string secret) =>
        WebhookSignature.Verify(secret, request.Header(WebhookSignature.TimestampHeader), request.Header(WebhookSignature.SignatureHeader),
            request.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));

    [SkippableFact]
    public async Task Committed_versions_and_alias_moves_reach_the_receiver_signed_with_the_secret()
    {
        app.SkipIfUnavailable();
        await using var receiver = await WebhookReceiver.StartAsync();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var admin = app.ClientWithToken(team.Admin.Token);
        var all = await CreateAsync(admin, team, receiver.Url);
        var aliasesOnly = await CreateAsync(admin, team, receiver.Url + "?only=aliases", "alias.moved");
        var disabled = await (await admin.PostJsonAsync(Url(team), new CreateWebhookRequest(receiver.Url + "?disabled", null, null, Enabled: false)))
            .ReadOkAsync<CreatedWebhookResponse>(HttpStatusCode.Created);
        Assert.StartsWith("whsec_", all.Secret, StringComparison.Ordinal);
        Assert.NotEqual(all.Secret, aliasesOnly.Secret);

        var v0 = await PublishAsync(team, "corpus", "first");
        Assert.True(await DispatchAsync() >= 3, "version.committed and alias.moved(latest) to the first webhook, alias.moved to the second");
        Assert.Equal(0, await DispatchAsync());
        Assert.Equal(2, await DeliverDueAsync(all.Webhook.Id));
        Assert.Equal(1, await DeliverDueAsync(aliasesOnly.Webhook.Id));
        Assert.Equal(0, await DeliverDueAsync(disabled.Webhook.Id));

        var received = receiver.Received;
        Assert.Equal(3, received.Count);
        Assert.DoesNotContain(received, r => r.Target.Contains("disabled", StringComparison.Ordinal));
        Assert.All(received, r => Assert.Equal("application/json; charset=utf-8", r.Header("content-type")));
        Assert.Equal(3, received.Select(r => r.Header(WebhookSignature.DeliveryHeader)).Distinct().Count());
        Assert.All(received, r => Assert.True(Verifies(r, r.Target.EndsWith("?only=aliases", StringComparison.Ordinal) ? aliasesOnly.Secret : all.Secret), "every request verifies with its webhook's secret"));

        var committed = received.Single(r => r.Header(WebhookSignature.EventHeader) == "version.committed");
        Assert.True(Verifies(committed, all.Secret));
        Assert.False(Verifies(committed, aliasesOnly.Secret), "another webhook's secret does not verify");
        var tampered = committed with { Body = committed.Body.Concat(" "u8.ToArray()).ToArray() };
        Assert.False(Verifies(tampered, all.Secret), "a changed body does not verify");

        using var body = JsonDocument.Parse(committed.Body);
        var root = body.RootElement;
        Assert.Equal("version.committed", root.GetProperty("type").GetString());
        Assert.Equal(team.Slug, root.GetProperty("project").GetString());
        Assert.True(root.GetProperty("id").GetInt64() > 0);
        Assert.True((DateTimeOffset.UtcNow - root.GetProperty("occurredAt").GetDateTimeOffset()).Duration() < TimeSpan.FromMinutes(5));
        var data = root.GetProperty("data");
        Assert.Equal("corpus", data.GetProperty("artifact").GetString());
        Assert.Equal("v0", data.GetProperty("version").GetProperty("version").GetString());
        Assert.Equal(v0.ManifestDigest, data.GetProperty("version").GetProperty("digest").GetString());
        Assert.Equal(JsonValueKind.Null, data.GetProperty("previousVersion").ValueKind);
        Assert.Equal(team.Contributor.Email, data.GetProperty("actor").GetProperty("email").GetString());

        var aliasMoves = received.Where(r => r.Header(WebhookSignature.EventHeader) == "alias.moved").ToList();
        Assert.Equal(2, aliasMoves.Count);
        Assert.Single(aliasMoves, r => r.Target.EndsWith("?only=aliases", StringComparison.Ordinal));
        using var moved = JsonDocument.Parse(aliasMoves[0].Body);
        var movedData = moved.RootElement.GetProperty("data");
        Assert.Equal("latest", movedData.GetProperty("alias").GetString());
        Assert.Equal(JsonValueKind.Null, movedData.GetProperty("from").ValueKind);
        Assert.Equal("v0", movedData.GetProperty("to").GetProperty("version").GetString());

        // A second version moves latest from v0 to v1, and a direct alias set is an event too.
        var v1 = await PublishAsync(team, "corpus", "second");
        (await app.ClientWithToken(team.Contributor.Token).PutAsJsonAsync($"/api/v1/projects/{team.Slug}/artifacts/corpus/aliases/staging",
            new SetAliasRequest("v0", "back to the first"), HttpAssertions.Json)).EnsureSuccessStatusCode();
        await DispatchAsync();
        await DeliverDueAsync(aliasesOnly.Webhook.Id);
        var later = receiver.Received.Skip(3).Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("data")).ToList();
        Assert.Contains(later, d => d.GetProperty("alias").GetString() == "latest"
                                    && d.GetProperty("from").GetProperty("version").GetString() == "v0"
                                    && d.GetProperty("to").GetProperty("digest").GetString() == v1.ManifestDigest);
        Assert.Contains(later, d => d.GetProperty("alias").GetString() == "staging" && d.GetProperty("reason").GetString() == "back to the first");

        var log = await DeliveriesAsync(admin, team, all.Webhook.Id);
        Assert.Equal(2, log.Items.Count(d => d.State == "succeeded"));
        Assert.All(log.Items.Where(d => d.State == "succeeded"), d => Assert.Equal(200, Assert.Single(d.AttemptLog).StatusCode));
    }

    [SkippableFact]
    public async Task A_failing_receiver_is_retried_with_growing_waits_until_it_answers()
    {
        app.SkipIfUnavailable();
        await using var receiver = await WebhookReceiver.StartAsync();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var admin = app.ClientWithToken(team.Admin.Token);
        var hook = await CreateAsync(admin, team, receiver.Url, "version.committed");
        receiver.AnswerWith(500);
        receiver.AnswerSlowly(WebhooksApp.Timeout * 2.5);

        await PublishAsync(team, "retried", "content");
        await DispatchAsync();
        Assert.Equal(1, await DeliverDueAsync(hook.Webhook.Id));
        var first = Assert.Single((await DeliveriesAsync(admin, team, hook.Webhook.Id)).Items);
        Assert.Equal("pending", first.State);
        Assert.Equal(1, first.Attempts);
        Assert.Equal(500, first.LastStatusCode);
        Assert.Contains("500", first.LastError, StringComparison.Ordinal);
        Assert.True(first.NextAttemptAt > first.LastAttemptAt, "the next attempt waits");

        // Not due yet: running the job again sends nothing.
        await app.WithServicesAsync(s => s.GetRequiredService<WebhookDeliveryJob>().ExecuteAsync(first.Id, CancellationToken.None));
        Assert.Single(receiver.Received);

        await Task.Delay(WebhooksApp.RetryBase + TimeSpan.FromMilliseconds(100));
        Assert.Equal(1, await DeliverDueAsync(hook.Webhook.Id));
        var second = Assert.Single((await DeliveriesAsync(admin, team, hook.Webhook.Id)).Items);
        Assert.Equal("pending", second.State);
        Assert.Null(second.LastStatusCode);
        Assert.Contains("No answer within", second.LastError, StringComparison.Ordinal);
        Assert.True(second.NextAttemptAt - second.LastAttemptAt >= (first.NextAttemptAt - first.LastAttemptAt) * 1.5, "the wait doubles");

        await Task.Delay(second.NextAttemptAt!.Value - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(100));
        Assert.Equal(1, await DeliverDueAsync(hook.Webhook.Id));
        var done = Assert.Single((await DeliveriesAsync(admin, team, hook.Webhook.Id)).Items);
        Assert.Equal("succeeded", done.State);
        Assert.Equal(3, done.Attempts);
        Assert.Equal([500, null, 200], done.AttemptLog.Select(a => a.StatusCode));
        Assert.True(done.AttemptLog[1].DurationMs >= WebhooksApp.Timeout.TotalMilliseconds - 100, "the timed-out attempt took the timeout");
        Assert.NotNull(done.CompletedAt);

        // Every attempt carried the same event and delivery, each signed afresh.
        var bodies = receiver.Received.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("id").GetInt64()).Distinct();
        Assert.Single(bodies);
        Assert.Single(receiver.Received.Select(r => r.Header(WebhookSignature.DeliveryHeader)).Distinct());
        Assert.All(receiver.Received, r => Assert.True(Verifies(r, hook.Secret)));

        var stats = await (await admin.GetAsync(Url(team, $"/{hook.Webhook.Id}"))).ReadOkAsync<WebhookResponse>();
        Assert.Equal(1, stats.Deliveries.Succeeded);
        Assert.Equal(200, stats.Deliveries.LastStatusCode);
    }

    [SkippableFact]
    public async Task A_delivery_that_keeps_failing_is_given_up_after_the_last_attempt()
    {
        app.SkipIfUnavailable();
        await using var receiver = await WebhookReceiver.StartAsync();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var admin = app.ClientWithToken(team.Admin.Token);
        var hook = await CreateAsync(admin, team, receiver.Url);
        receiver.AnswerWith(503, 503, 503, 503);

        var test = await (await admin.PostAsync(Url(team, $"/{hook.Webhook.Id}/test"), null)).ReadOkAsync<WebhookDeliveryResponse>();
        Assert.Equal("webhook.test", test.EventType);
        Assert.Equal("pending", test.State);
        for (var attempt = 2; attempt <= 3; attempt++)
        {
            var current = Assert.Single((await DeliveriesAsync(admin, team, hook.Webhook.Id)).Items);
            await Task.Delay(current.NextAttemptAt!.Value - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(100));
            Assert.Equal(1, await DeliverDueAsync(hook.Webhook.Id));
        }

        var failed = Assert.Single((await DeliveriesAsync(admin, team, hook.Webhook.Id)).Items);
        Assert.Equal("failed", failed.State);
        Assert.Equal(3, failed.Attempts);
        Assert.All(failed.AttemptLog, a => Assert.Equal(503, a.StatusCode));
        Assert.Null(failed.NextAttemptAt);
        Assert.Equal(0, await DeliverDueAsync(hook.Webhook.Id));
        Assert.Equal(3, receiver.Received.Count);
    }

    [SkippableFact]
    public async Task Send_test_posts_a_signed_test_event_and_answers_with_the_result()
    {
        app.SkipIfUnavailable();
        await using var receiver = await WebhookReceiver.StartAsync();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var admin = app.ClientWithToken(team.Admin.Token);
        var hook = await CreateAsync(admin, team, receiver.Url, "promotion.applied");

        var result = await (await admin.PostAsync(Url(team, $"/{hook.Webhook.Id}/test"), null)).ReadOkAsync<WebhookDeliveryResponse>();
        Assert.Equal("succeeded", result.State);
        var attempt = Assert.Single(result.AttemptLog);
        Assert.Equal(200, attempt.StatusCode);
        Assert.Equal("ok", attempt.ResponseExcerpt);
        Assert.True(attempt.DurationMs >= 0);

        var request = Assert.Single(receiver.Received);
        Assert.True(Verifies(request, hook.Secret));
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("webhook.test", body.RootElement.GetProperty("type").GetString());
        Assert.Equal(team.Admin.Email, body.RootElement.GetProperty("data").GetProperty("sentBy").GetProperty("email").GetString());

        // The test event is not fanned out to other webhooks by the dispatcher.
        await CreateAsync(admin, team, receiver.Url + "?second");
        await DispatchAsync();
        Assert.Empty((await DeliveriesAsync(admin, team, (await (await admin.GetAsync(Url(team))).ReadOkAsync<List<WebhookResponse>>())[1].Id)).Items);

        // A receiver that is down is reported, not thrown.
        var down = await CreateAsync(admin, team, "http://127.0.0.1:9/unreachable");
        var failed = await (await admin.PostAsync(Url(team, $"/{down.Webhook.Id}/test"), null)).ReadOkAsync<WebhookDeliveryResponse>();
        Assert.Equal("pending", failed.State);
        Assert.Null(failed.LastStatusCode);
        Assert.False(string.IsNullOrEmpty(failed.LastError));
    }

    [SkippableFact]
    public async Task Secrets_are_shown_once_and_rotating_signs_with_the_new_one()
    {
        app.SkipIfUnavailable();
        await using var receiver = await WebhookReceiver.StartAsync();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var admin = app.ClientWithToken(team.Admin.Token);
        var hook = await CreateAsync(admin, team, receiver.Url);

        var listed = await (await admin.GetAsync(Url(team))).Content.ReadAsStringAsync();
        Assert.DoesNotContain(hook.Secret, listed, StringComparison.Ordinal);
        Assert.Contains(hook.Secret[^4..], listed, StringComparison.Ordinal);

        var rotated = await (await admin.PostAsync(Url(team, $"/{hook.Webhook.Id}/secret"), null)).ReadOkAsync<CreatedWebhookResponse>();
        Assert.NotEqual(hook.Secret, rotated.Secret);
        await admin.PostAsync(Url(team, $"/{hook.Webhook.Id}/test"), null);
        var request = Assert.Single(receiver.Received);
        Assert.True(Verifies(request, rotated.Secret));
        Assert.False(Verifies(request, hook.Secret));

        var patched = await (await admin.PatchAsJsonAsync(Url(team, $"/{hook.Webhook.Id}"), new UpdateWebhookRequest(EventTypes: ["alias.moved"], Enabled: false), HttpAssertions.Json))
            .ReadOkAsync<WebhookResponse>();
        Assert.False(patched.Enabled);
        Assert.Equal(["alias.moved"], patched.EventTypes);
        Assert.Equal(receiver.Url, patched.Url);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync(Url(team, $"/{hook.Webhook.Id}"))).StatusCode);
        await (await admin.GetAsync(Url(team, $"/{hook.Webhook.Id}"))).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.WebhookNotFound);
    }

    [SkippableFact]
    public async Task Only_project_admins_manage_webhooks()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var hook = await CreateAsync(app.ClientWithToken(team.Admin.Token), team, "https://hooks.example.test/portal");
        var outsider = await app.Data.CreateUserAsync("outsider");
        foreach (var member in new[] { team.Reviewer, team.Contributor, team.Viewer })
        {
            var client = app.ClientWithToken(member.Token);
            await (await client.GetAsync(Url(team))).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
            await (await client.PostJsonAsync(Url(team), new CreateWebhookRequest("https://x.example.test/"))).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
            await (await client.PostAsync(Url(team, $"/{hook.Webhook.Id}/test"), null)).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
            await (await client.GetAsync(Url(team, $"/{hook.Webhook.Id}/deliveries"))).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
            await (await client.DeleteAsync(Url(team, $"/{hook.Webhook.Id}"))).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        }

        await (await app.ClientWithToken(outsider.Token).GetAsync(Url(team))).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ProjectNotFound);
        await (await app.AnonymousClient().GetAsync(Url(team))).AssertProblemAsync(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);

        // A webhook of another project is not found through this one.
        var other = await app.Data.CreateProjectAsync(team.Admin);
        await (await app.ClientWithToken(team.Admin.Token).GetAsync($"/api/v1/projects/{other.Slug}/webhooks/{hook.Webhook.Id}"))
            .AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.WebhookNotFound);
    }

    [SkippableFact]
    public async Task Urls_and_event_types_are_validated()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var admin = app.ClientWithToken(team.Admin.Token);
        foreach (var url in new[] { "", "not a url", "ftp://files.example.test/hook", "javascript:alert(1)", "file:///etc/passwd", "/relative/path", "https://" + new string('a', 2000) + ".test/" })
            await (await admin.PostJsonAsync(Url(team), new CreateWebhookRequest(url))).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.WebhookUrlInvalid);
        await (await admin.PostJsonAsync(Url(team), new CreateWebhookRequest("https://ok.example.test/", ["version.committed", "version.deleted"])))
            .AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.WebhookEventTypeInvalid);
        await (await admin.PostJsonAsync(Url(team), new CreateWebhookRequest("https://ok.example.test/", ["webhook.test"])))
            .AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.WebhookEventTypeInvalid);

        var ok = await CreateAsync(admin, team, "HTTPS://Ok.Example.test:8443/hook?x=1", "promotion.requested", "promotion.requested", "alias.moved");
        Assert.Equal("https://ok.example.test:8443/hook?x=1", ok.Webhook.Url);
        Assert.Equal(["promotion.requested", "alias.moved"], ok.Webhook.EventTypes);
        await (await admin.PatchAsJsonAsync(Url(team, $"/{ok.Webhook.Id}"), new UpdateWebhookRequest(Url: "gopher://x"), HttpAssertions.Json))
            .AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.WebhookUrlInvalid);
    }

    [SkippableFact]
    public async Task Webhook_changes_are_audited_without_the_secret()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var admin = app.ClientWithToken(team.Admin.Token);
        var hook = await CreateAsync(admin, team, "https://audit.example.test/hook");
        var log = await (await admin.GetAsync($"/api/v1/audit/events?project={team.Slug}&action=webhook.")).ReadOkAsync<PagedResponse<AuditEventResponse>>();
        var created = Assert.Single(log.Items);
        Assert.Equal("webhook.created", created.Action);
        Assert.Equal(hook.Webhook.Id.ToString(), created.TargetId);
        Assert.DoesNotContain(hook.Secret, created.After, StringComparison.Ordinal);
    }
}

public sealed class WebhooksApiTests_Sqlite(WebhooksSqliteApp app) : WebhooksApiTests(app), IClassFixture<WebhooksSqliteApp>;

public sealed class WebhooksApiTests_Postgres(WebhooksPostgresApp app) : WebhooksApiTests(app), IClassFixture<WebhooksPostgresApp>;
