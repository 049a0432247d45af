using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Reports;
using Portal.Core.Features.Validation;
using Portal.Web.Tests.Features.Artifacts;

namespace Portal.Web.Tests.Features.Reports;

public abstract class DigestsApiTests(DigestsApp app)
{
    private static string Url(string slug, string rest = "") => $"/api/v1/projects/{slug}/digest-subscription{rest}";

    private Task<int> RunJobAsync() => app.WithServicesAsync(s => s.GetRequiredService<DigestJob>().ExecuteAsync(CancellationToken.None));

    private static async Task<DigestSubscriptionResponse> SubscribeAsync(HttpClient client, string slug, string frequency, int hour, string? weekDay = null) =>
        await (await client.PutAsJsonAsync(Url(slug), new DigestSubscriptionRequest(frequency, hour, weekDay))).ReadOkAsync<DigestSubscriptionResponse>();

    private static async Task<DigestPreviewResponse> PreviewAsync(HttpClient client, string slug) =>
        await (await client.GetAsync(Url(slug, "/preview"))).ReadOkAsync<DigestPreviewResponse>();

    private static async Task<DigestSendResponse> SendNowAsync(HttpClient client, string slug) =>
        await (await client.PostAsync(Url(slug, "/send"), null)).ReadOkAsync<DigestSendResponse>();

    [SkippableFact]
    public async Task A_member_subscribes_changes_and_stops_only_their_own_digest()
    {
        app.SkipIfUnavailable();
        app.Clock.Offset = TimeSpan.Zero;
        var team = await app.Data.CreateProjectWithTeamAsync();
        var viewer = app.ClientWithToken(team.Viewer.Token);
        await (await viewer.GetAsync(Url(team.Slug))).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.DigestSubscriptionNotFound);

        var created = await SubscribeAsync(viewer, team.Slug, "daily", 9);
        Assert.Equal((team.Slug, "daily", 9), (created.Project, created.Frequency, created.HourUtc));
        Assert.Equal(9, created.NextDueAt.UtcDateTime.Hour);
        Assert.InRange(created.NextDueAt - DateTimeOffset.UtcNow, TimeSpan.Zero, TimeSpan.FromDays(1));
        Assert.Empty(created.RecentDeliveries);

        var changed = await SubscribeAsync(viewer, team.Slug, "weekly", 18, "Friday");
        Assert.Equal(created.Id, changed.Id);
        Assert.Equal(("weekly", 18, "friday"), (changed.Frequency, changed.HourUtc, changed.WeekDay));
        Assert.Equal(DayOfWeek.Friday, changed.NextDueAt.UtcDateTime.DayOfWeek);
        Assert.InRange(changed.NextDueAt - DateTimeOffset.UtcNow, TimeSpan.Zero, TimeSpan.FromDays(7));
        Assert.Equal(changed.Id, (await (await viewer.GetAsync(Url(team.Slug))).ReadOkAsync<DigestSubscriptionResponse>()).Id);

        // Nobody reaches someone else's subscription: the admin of the project has none of their own.
        await (await app.ClientWithToken(team.Admin.Token).GetAsync(Url(team.Slug))).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.DigestSubscriptionNotFound);

        await (await viewer.PutAsJsonAsync(Url(team.Slug), new DigestSubscriptionRequest("hourly", 9))).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.DigestScheduleInvalid);
        await (await viewer.PutAsJsonAsync(Url(team.Slug), new DigestSubscriptionRequest("daily", 24))).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.DigestScheduleInvalid);
        await (await viewer.PutAsJsonAsync(Url(team.Slug), new DigestSubscriptionRequest("weekly", 9, "someday"))).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.DigestScheduleInvalid);

        Assert.Equal(HttpStatusCode.NoContent, (await viewer.DeleteAsync(Url(team.Slug))).StatusCode);
        await (await viewer.GetAsync(Url(team.Slug))).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.DigestSubscriptionNotFound);
        await (await viewer.DeleteAsync(Url(team.Slug))).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.DigestSubscriptionNotFound);

        var actions = await app.WithServicesAsync(async s =>
        {
            await using var db = await s.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await db.AuditEvents.Where(e => e.TargetId == created.Id.ToString()).OrderBy(e => e.Sequence).Select(e => e.Action).ToListAsync();
        });
        Assert.Equal(["digest_subscription.created", "digest_subscription.updated", "digest_subscription.deleted"], actions);
    }

    [SkippableFact]
    public async Task The_sdk_subscribes_previews_sends_and_unsubscribes()
    {
        app.SkipIfUnavailable();
        app.Clock.Offset = TimeSpan.Zero;
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var sdk = new PortalClient(app.ClientWithToken(team.Reviewer.Token));
        var missing = await Assert.ThrowsAsync<PortalApiException>(() => sdk.GetDigestSubscriptionAsync(team.Slug));
        Assert.Equal(ErrorCodes.DigestSubscriptionNotFound, missing.Code);

        var subscription = await sdk.SetDigestSubscriptionAsync(team.Slug, new DigestSubscriptionRequest("weekly", 8, "sunday"));
        Assert.Equal(("weekly", 8, "sunday"), (subscription.Frequency, subscription.HourUtc, subscription.WeekDay));
        Assert.Equal(subscription.Id, (await sdk.GetDigestSubscriptionAsync(team.Slug)).Id);
        Assert.True((await sdk.PreviewDigestAsync(team.Slug)).Empty);

        await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "corpus", "dataset", null, "", ("a.txt", "a"));
        var preview = await sdk.PreviewDigestAsync(team.Slug);
        Assert.Equal($"[{team.Slug}] Weekly digest: 1 new version", preview.Subject);
        var sent = await sdk.SendDigestNowAsync(team.Slug);
        Assert.True(sent.Sent, sent.Message);
        Assert.Equal(preview.Subject, Assert.Single(app.MailTo(team.Reviewer.Email)).Subject);

        await sdk.DeleteDigestSubscriptionAsync(team.Slug);
        Assert.Equal(ErrorCodes.DigestSubscriptionNotFound, (await Assert.ThrowsAsync<PortalApiException>(() => sdk.GetDigestSubscriptionAsync(team.Slug))).Code);
    }

    [SkippableFact]
    public async Task Non_members_get_404_and_anonymous_callers_401()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var outsider = app.ClientWithToken((await app.Data.CreateUserAsync("outsider")).Token);
        await (await outsider.PutAsJsonAsync(Url(team.Slug), new DigestSubscriptionRequest("daily", 9))).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ProjectNotFound);
        await (await outsider.GetAsync(Url(team.Slug, "/preview"))).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ProjectNotFound);
        await (await outsider.PostAsync(Url(team.Slug, "/send"), null)).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ProjectNotFound);
        await (await app.AnonymousClient().GetAsync(Url(team.Slug))).AssertProblemAsync(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
        await (await app.AnonymousClient().PutAsJsonAsync(Url(team.Slug), new DigestSubscriptionRequest("daily", 9))).AssertProblemAsync(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
        // Send now needs a subscription first.
        await (await app.ClientWithToken(team.Viewer.Token).PostAsync(Url(team.Slug, "/send"), null)).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.DigestSubscriptionNotFound);
    }

    [SkippableFact]
    public async Task The_digest_lists_the_period_s_versions_alias_moves_decisions_failed_validations_and_what_waits_for_the_reader()
    {
        app.SkipIfUnavailable();
        app.Clock.Offset = TimeSpan.Zero;
        var team = await app.Data.CreateProjectWithTeamAsync();
        var admin = app.ClientWithToken(team.Admin.Token);
        var contributor = app.ClientWithToken(team.Contributor.Token);
        var reviewer = app.ClientWithToken(team.Reviewer.Token);
        var viewer = app.ClientWithToken(team.Viewer.Token);

        // Another project's activity never shows up.
        var other = await app.Data.CreateProjectWithTeamAsync();
        await new ArtifactUploads(app.ClientWithToken(other.Contributor.Token), other.Slug).PublishAsync("elsewhere-set", [], [ArtifactUploads.Reference("x.md")]);

        (await admin.PutAsJsonAsync($"/api/v1/projects/{team.Slug}/promotion-policies/production", new PromotionPolicyRequest(RequiredApprovals: 1))).EnsureSuccessStatusCode();
        (await admin.PutAsJsonAsync($"/api/v1/projects/{team.Slug}/validation-rules/*",
            new ValidationRules { RequiredFields = [new RequiredField("label")], SchemaSeverity = CheckSeverity.Error })).EnsureSuccessStatusCode();
        var uploads = new ArtifactUploads(contributor, team.Slug);
        await uploads.PublishAsync("corpus", [], [ArtifactUploads.Reference("doc0.md")]);
        await uploads.PublishAsync("corpus", [], [ArtifactUploads.Reference("doc1.md")]);
        await uploads.PublishAsync("index", [], [ArtifactUploads.Reference("index.bin")]);
        (await contributor.PutAsJsonAsync($"/api/v1/projects/{team.Slug}/artifacts/corpus/aliases/staging", new SetAliasRequest("v0", "<b>first</b> cut"))).EnsureSuccessStatusCode();
        var applied = await (await contributor.PostJsonAsync($"/api/v1/projects/{team.Slug}/artifacts/corpus/promotions", new CreatePromotionRequest("v1", "production", "recall up")))
            .ReadOkAsync<PromotionResponse>(HttpStatusCode.Created);
        (await reviewer.PostJsonAsync($"/api/v1/projects/{team.Slug}/promotions/{applied.Id}/approve", new PromotionDecisionRequest("checked <ok>"))).EnsureSuccessStatusCode();
        var waiting = await (await contributor.PostJsonAsync($"/api/v1/projects/{team.Slug}/artifacts/index/promotions", new CreatePromotionRequest("v0", "production", "new index")))
            .ReadOkAsync<PromotionResponse>(HttpStatusCode.Created);
        var train = await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "train", "dataset", null, "", ("train.jsonl", "{\"text\":\"no label\"}\n"));
        await app.WithServicesAsync(async s =>
        {
            await s.GetRequiredService<ValidationJob>().ExecuteAsync(train.Id, CancellationToken.None);
            return 0;
        });

        var forReviewer = await PreviewAsync(reviewer, team.Slug);
        Assert.False(forReviewer.Empty);
        Assert.Equal(new DigestCounts(NewVersions: 4, AliasMoves: 2, Promotions: 2, FailedValidations: 1, WaitingApprovals: 1), forReviewer.Counts);
        Assert.Equal($"[{team.Slug}] Daily digest: 4 new versions, 2 alias moves, 2 promotion decisions, 1 failed validation, 1 request waiting for you", forReviewer.Subject);
        var text = forReviewer.TextBody;
        foreach (var expected in new[] { "corpus:v0", "corpus:v1", "index:v0", "train:v0", "corpus:staging: none → v0", "corpus:production: none → v1", "approved", "applied", "checked <ok>", "index:production → v0" })
            Assert.Contains(expected, text, StringComparison.Ordinal);
        Assert.Contains($"{DigestsApp.PublicUrl}/projects/{team.Slug}/promotions/{waiting.Id}", text, StringComparison.Ordinal);
        Assert.Contains($"{DigestsApp.PublicUrl}/projects/{team.Slug}/artifacts/train/v0", text, StringComparison.Ordinal);
        Assert.DoesNotContain("latest", text, StringComparison.Ordinal);
        Assert.DoesNotContain("elsewhere-set", text, StringComparison.Ordinal);
        var html = forReviewer.HtmlBody;
        Assert.Contains("&lt;b&gt;first&lt;/b&gt; cut", html, StringComparison.Ordinal);
        Assert.Contains("checked &lt;ok&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>first</b>", html, StringComparison.Ordinal);
        Assert.Contains($"href=\"{DigestsApp.PublicUrl}/projects/{team.Slug}/promotions/{waiting.Id}\"", html, StringComparison.Ordinal);

        // What waits is the reader's: a viewer approves nothing.
        Assert.Equal(0, (await PreviewAsync(viewer, team.Slug)).Counts.WaitingApprovals);

        // Send now covers up to now; the next digest starts there.
        await SubscribeAsync(viewer, team.Slug, "daily", 7);
        var sent = await SendNowAsync(viewer, team.Slug);
        Assert.True(sent.Sent, sent.Message);
        Assert.Equal(team.Viewer.Email, sent.To);
        var mail = Assert.Single(app.MailTo(team.Viewer.Email));
        Assert.Equal($"[{team.Slug}] Daily digest: 4 new versions, 2 alias moves, 2 promotion decisions, 1 failed validation", mail.Subject);
        Assert.IsType<MultipartAlternative>(mail.Body);

        var nothing = await PreviewAsync(viewer, team.Slug);
        Assert.True(nothing.Empty);
        Assert.Contains("Nothing happened", nothing.TextBody, StringComparison.Ordinal);
        var notSent = await SendNowAsync(viewer, team.Slug);
        Assert.False(notSent.Sent);
        Assert.Contains("no e-mail was sent", notSent.Message, StringComparison.Ordinal);
        Assert.Single(app.MailTo(team.Viewer.Email));

        await uploads.PublishAsync("corpus", [], [ArtifactUploads.Reference("doc2.md")]);
        var next = await PreviewAsync(viewer, team.Slug);
        Assert.Equal(new DigestCounts(1, 0, 0, 0, 0), next.Counts);
        Assert.Contains("corpus:v2", next.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("corpus:v1", next.TextBody, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task The_job_sends_each_due_digest_once_when_run_twice_and_nothing_for_empty_periods_or_former_members()
    {
        app.SkipIfUnavailable();
        app.Clock.Offset = TimeSpan.Zero;
        var owner = await app.Data.CreateUserAsync("owner");
        var slug = TestData.UniqueSlug("digest");
        const string name = "<script>alert(1)</script> & R&D";
        (await app.ClientWithToken(owner.Token).PostJsonAsync("/api/v1/projects", new CreateProjectRequest(slug, name, ""))).EnsureSuccessStatusCode();
        var reader = await app.Data.CreateUserAsync("reader");
        var leaver = await app.Data.CreateUserAsync("leaver");
        await app.Data.AddMemberAsync(owner, slug, reader, ProjectRole.Viewer);
        await app.Data.AddMemberAsync(owner, slug, leaver, ProjectRole.Viewer);
        var quietProject = await app.Data.CreateProjectAsync(owner);
        var quiet = await app.Data.CreateUserAsync("quiet");
        await app.Data.AddMemberAsync(owner, quietProject.Slug, quiet, ProjectRole.Viewer);

        var now = app.Clock.GetUtcNow();
        var slot = new DateTimeOffset(now.UtcDateTime.Date.AddHours(now.UtcDateTime.Hour + 1), TimeSpan.Zero);
        var readerClient = app.ClientWithToken(reader.Token);
        await SubscribeAsync(readerClient, slug, "daily", slot.Hour);
        await SubscribeAsync(app.ClientWithToken(leaver.Token), slug, "daily", slot.Hour);
        await SubscribeAsync(app.ClientWithToken(quiet.Token), quietProject.Slug, "daily", slot.Hour);
        (await app.ClientWithToken(owner.Token).DeleteAsync($"/api/v1/projects/{slug}/members/{leaver.Id}")).EnsureSuccessStatusCode();
        await TestArtifacts.PublishAsync(app.Services, owner.Principal, slug, "corpus", "dataset", null, "", ("a.txt", "a"));

        await RunJobAsync();
        Assert.Empty(app.MailTo(reader.Email));

        app.Clock.MoveTo(slot.AddMinutes(5));
        await RunJobAsync();
        await RunJobAsync();
        // A run that decided the same subscription was due before the first one saved cannot claim the period again.
        var subscriptionId = (await (await readerClient.GetAsync(Url(slug))).ReadOkAsync<DigestSubscriptionResponse>()).Id;
        var late = await app.WithServicesAsync(s => s.GetRequiredService<DigestDispatch>().SendAsync(subscriptionId, slot, manual: false, CancellationToken.None));
        Assert.Null(late.Outcome);

        var mail = Assert.Single(app.MailTo(reader.Email));
        Assert.Equal($"[{slug}] Daily digest: 1 new version", mail.Subject);
        Assert.Contains("corpus:v0", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains(name, mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; R&amp;D", mail.HtmlBody, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", mail.HtmlBody, StringComparison.Ordinal);
        Assert.Empty(app.MailTo(leaver.Email));
        Assert.Empty(app.MailTo(quiet.Email));

        var subscription = await (await readerClient.GetAsync(Url(slug))).ReadOkAsync<DigestSubscriptionResponse>();
        var delivery = Assert.Single(subscription.RecentDeliveries);
        Assert.Equal(("sent", slot, false, 1), (delivery.Outcome, delivery.PeriodEnd, delivery.Manual, delivery.ItemCount));
        Assert.Equal(slot, subscription.LastPeriodEnd);
        Assert.Equal(slot.AddDays(1), subscription.NextDueAt);
        var quietDelivery = Assert.Single((await (await app.ClientWithToken(quiet.Token).GetAsync(Url(quietProject.Slug))).ReadOkAsync<DigestSubscriptionResponse>()).RecentDeliveries);
        Assert.Equal("empty", quietDelivery.Outcome);

        // The next day nothing happened: the period is recorded as empty and no mail goes out.
        app.Clock.MoveTo(slot.AddDays(1).AddMinutes(5));
        await RunJobAsync();
        Assert.Single(app.MailTo(reader.Email));
        var after = await (await readerClient.GetAsync(Url(slug))).ReadOkAsync<DigestSubscriptionResponse>();
        Assert.Equal(["empty", "sent"], after.RecentDeliveries.Select(d => d.Outcome));
        app.Clock.Offset = TimeSpan.Zero;
    }

    [SkippableFact]
    public async Task A_claim_left_by_a_run_that_died_is_released_and_the_next_digest_covers_its_period()
    {
        app.SkipIfUnavailable();
        app.Clock.Offset = TimeSpan.Zero;
        var team = await app.Data.CreateProjectWithTeamAsync();
        var now = app.Clock.GetUtcNow();
        var slot = new DateTimeOffset(now.UtcDateTime.Date.AddHours(now.UtcDateTime.Hour + 1), TimeSpan.Zero);
        var viewer = app.ClientWithToken(team.Viewer.Token);
        var subscription = await SubscribeAsync(viewer, team.Slug, "daily", slot.Hour);
        await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "corpus", "dataset", null, "", ("a.txt", "a"));

        // A run claimed the digest at its slot and was killed before it recorded anything: exactly what DigestDispatch
        // leaves behind at that point.
        app.Clock.MoveTo(slot.AddMinutes(1));
        await app.WithServicesAsync(async s =>
        {
            await using var db = await s.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            db.DigestDeliveries.Add(new DigestDelivery
            {
                SubscriptionId = subscription.Id, PeriodStart = slot.AddDays(-1), PeriodEnd = slot, Outcome = DigestOutcome.Sending, CreatedAt = slot.AddMinutes(1),
            });
            await db.DigestSubscriptions.Where(x => x.Id == subscription.Id).ExecuteUpdateAsync(u => u.SetProperty(x => x.LastPeriodEnd, slot));
            return await db.SaveChangesAsync();
        });

        // Within the claim timeout the claim is left alone: its run may still be sending.
        app.Clock.MoveTo(slot.AddMinutes(10));
        await RunJobAsync();
        Assert.Equal("sending", Assert.Single((await (await viewer.GetAsync(Url(team.Slug))).ReadOkAsync<DigestSubscriptionResponse>()).RecentDeliveries).Outcome);

        // Past it, the claim is recorded as failed and the period handed back.
        app.Clock.MoveTo(slot.AddHours(2));
        await RunJobAsync();
        var released = await (await viewer.GetAsync(Url(team.Slug))).ReadOkAsync<DigestSubscriptionResponse>();
        var failed = Assert.Single(released.RecentDeliveries);
        Assert.Equal("failed", failed.Outcome);
        Assert.StartsWith("Abandoned", failed.Error, StringComparison.Ordinal);
        Assert.Equal(slot.AddDays(-1), released.LastPeriodEnd);
        Assert.Empty(app.MailTo(team.Viewer.Email));

        // The next digest covers both days, so the version from the lost period is reported.
        app.Clock.MoveTo(slot.AddDays(1).AddMinutes(5));
        await RunJobAsync();
        var mail = Assert.Single(app.MailTo(team.Viewer.Email));
        Assert.Contains("corpus:v0", mail.TextBody, StringComparison.Ordinal);
        var after = await (await viewer.GetAsync(Url(team.Slug))).ReadOkAsync<DigestSubscriptionResponse>();
        var sent = after.RecentDeliveries[0];
        Assert.Equal(("sent", slot.AddDays(-1), slot.AddDays(1)), (sent.Outcome, sent.PeriodStart, sent.PeriodEnd));
        app.Clock.Offset = TimeSpan.Zero;
    }
}

public sealed class DigestsApiSqliteTests(DigestsSqliteApp app) : DigestsApiTests(app), IClassFixture<DigestsSqliteApp>;

public sealed class DigestsApiPostgresTests(DigestsPostgresApp app) : DigestsApiTests(app), IClassFixture<DigestsPostgresApp>;
