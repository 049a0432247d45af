using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Checks;
using Portal.Core.Features.Events;
using Portal.Web.Tests.Features.Artifacts;

namespace Portal.Web.Tests.Features.Promotions;

public abstract class PromotionsApiTests(PromotionsApp app)
{
    private sealed record Setup(TestProject Team, HttpClient Contributor, HttpClient Reviewer, HttpClient Admin, HttpClient Viewer, List<ArtifactVersionResponse> Versions)
    {
        public string Url(string path) => $"/api/v1/projects/{Team.Slug}/{path}";
    }

    /// <summary>A team, an artifact "corpus" with <paramref name="versions"/> versions, and a policy on production.</summary>
    private async Task<Setup> SetUpAsync(int versions, PromotionPolicyRequest? policy = null, string artifact = "corpus")
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        var contributor = app.ClientWithToken(team.Contributor.Token);
        var uploads = new ArtifactUploads(contributor, team.Slug);
        var published = new List<ArtifactVersionResponse>();
        for (var i = 0; i < versions; i++)
            published.Add((await uploads.PublishAsync(artifact, [], [ArtifactUploads.Reference($"doc{i}.md")])).Version);
        var setup = new Setup(team, contributor, app.ClientWithToken(team.Reviewer.Token), app.ClientWithToken(team.Admin.Token), app.ClientWithToken(team.Viewer.Token), published);
        if (policy is not null)
            (await setup.Admin.PutAsJsonAsync(setup.Url("promotion-policies/production"), policy)).EnsureSuccessStatusCode();
        return setup;
    }

    private static async Task<PromotionResponse> RequestAsync(Setup s, string version, string alias = "production", string? comment = null, string artifact = "corpus") =>
        await (await s.Contributor.PostJsonAsync(s.Url($"artifacts/{artifact}/promotions"), new CreatePromotionRequest(version, alias, comment)))
            .ReadOkAsync<PromotionResponse>(HttpStatusCode.Created);

    private static Task<HttpResponseMessage> ApproveAsync(Setup s, HttpClient who, Guid id, string? comment = null) =>
        who.PostJsonAsync(s.Url($"promotions/{id}/approve"), new PromotionDecisionRequest(comment));

    private static async Task<string?> AliasAsync(Setup s, string alias = "production", string artifact = "corpus")
    {
        var response = await s.Viewer.GetAsync(s.Url($"resolve/{artifact}:{alias}"));
        return response.StatusCode == HttpStatusCode.NotFound ? null : (await response.ReadOkAsync<ArtifactVersionResponse>()).Version;
    }

    /// <summary>Sets an alias directly (only possible while it is not protected).</summary>
    private static async Task SetAliasAsync(Setup s, string alias, string version, string artifact = "corpus") =>
        (await s.Contributor.PutAsJsonAsync(s.Url($"artifacts/{artifact}/aliases/{alias}"), new SetAliasRequest(version))).EnsureSuccessStatusCode();

    private Task<List<T>> QueryAsync<T>(Func<PortalDbContext, Task<List<T>>> query) =>
        app.WithServicesAsync(async sp =>
        {
            await using var db = await sp.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await query(db);
        });

    [SkippableFact]
    public async Task The_requester_cannot_approve_one_person_counts_once_and_the_nth_approval_moves_the_alias()
    {
        app.SkipIfUnavailable();
        var s = await SetUpAsync(2, new PromotionPolicyRequest(RequiredApprovals: 2));
        var request = await RequestAsync(s, "v1", comment: "better recall");
        Assert.Equal((PromotionStates.Open, "v1", (string?)null, false), (request.State, request.Version, request.FromVersion, request.Stale));
        Assert.Equal((2, "Reviewer"), (request.RequiredApprovals, request.ApproverRole));

        await (await ApproveAsync(s, s.Contributor, request.Id)).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.PromotionSelfApproval);
        await (await ApproveAsync(s, s.Viewer, request.Id)).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        var first = await (await ApproveAsync(s, s.Reviewer, request.Id, "looks right")).ReadOkAsync<PromotionResponse>();
        Assert.Equal(PromotionStates.Open, first.State);
        Assert.Equal([s.Team.Reviewer.Id], first.Approvals.Select(a => a.UserId));
        await (await ApproveAsync(s, s.Reviewer, request.Id)).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.PromotionAlreadyApproved);
        Assert.Null(await AliasAsync(s));

        var second = await (await ApproveAsync(s, s.Admin, request.Id)).ReadOkAsync<PromotionResponse>();
        Assert.Equal(PromotionStates.Applied, second.State);
        Assert.Equal(2, second.Approvals.Count);
        Assert.Equal("v1", await AliasAsync(s));
        await (await ApproveAsync(s, s.Reviewer, request.Id)).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.PromotionClosed);

        // The move is in the alias history, tied to the request, and each step is an outbox event.
        var moves = await QueryAsync(db => db.AliasEvents.Where(e => e.AliasName == "production" && e.PromotionRequestId == request.Id).ToListAsync());
        var move = Assert.Single(moves);
        Assert.Equal((s.Versions[1].Id, "promotion: better recall"), (move.ToVersionId!.Value, move.Reason));
        var events = await QueryAsync(db => db.PortalEvents.Where(e => e.ProjectId == s.Team.Project.Id && e.Type.StartsWith("promotion.")).OrderBy(e => e.Id).Select(e => e.Type).ToListAsync());
        Assert.Equal([PortalEventTypes.PromotionRequested, PortalEventTypes.PromotionApproved, PortalEventTypes.PromotionApproved, PortalEventTypes.PromotionApplied], events);

        var detail = await (await s.Viewer.GetAsync(s.Url($"promotions/{request.Id}"))).ReadOkAsync<PromotionDetailResponse>();
        Assert.Equal(["requested", "approved", "approved", "applied"], detail.Discussion.Select(c => c.Kind));
        Assert.Equal("looks right", detail.Discussion[1].Text);
    }

    [SkippableFact]
    public async Task The_approver_role_and_the_source_alias_are_enforced()
    {
        app.SkipIfUnavailable();
        var s = await SetUpAsync(3);
        var policy = new PromotionPolicyRequest(RequiredApprovals: 1, ApproverRole: "Admin", RequiredSourceAlias: "staging");
        await (await s.Reviewer.PutAsJsonAsync(s.Url("promotion-policies/production"), policy)).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        await (await s.Admin.PutAsJsonAsync(s.Url("promotion-policies/production"), policy with { RequiredApprovals = 0 })).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        await (await s.Admin.PutAsJsonAsync(s.Url("promotion-policies/production"), policy with { ApproverRole = "Viewer" })).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.RoleInvalid);
        await (await s.Admin.PutAsJsonAsync(s.Url("promotion-policies/latest"), policy)).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.AliasReserved);
        var saved = await (await s.Admin.PutAsJsonAsync(s.Url("promotion-policies/production"), policy)).ReadOkAsync<PromotionPolicyResponse>();
        Assert.Equal(("production", 1, "Admin", "staging"), (saved.Alias, saved.RequiredApprovals, saved.ApproverRole, saved.RequiredSourceAlias));
        var listed = await (await s.Viewer.GetAsync(s.Url("promotion-policies"))).ReadOkAsync<List<PromotionPolicyResponse>>();
        Assert.Equal(["production"], listed.Select(p => p.Alias));

        // v1 has never been staging.
        await (await s.Contributor.PostJsonAsync(s.Url("artifacts/corpus/promotions"), new CreatePromotionRequest("v1", "production")))
            .AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.PromotionSourceAliasMissing);
        await SetAliasAsync(s, "staging", "v1");
        await SetAliasAsync(s, "staging", "v2");
        // Having been staging once is enough, even after staging moved on.
        var request = await RequestAsync(s, "v1");
        var detail = await (await s.Viewer.GetAsync(s.Url($"promotions/{request.Id}"))).ReadOkAsync<PromotionDetailResponse>();
        Assert.Contains(detail.Checks, c => c.Name == "source_alias" && c.State == PromotionCheckStates.Passed);

        var reviewer = await (await ApproveAsync(s, s.Reviewer, request.Id)).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        Assert.Contains("Admin", reviewer.GetProperty("detail").GetString());
        Assert.False((await (await s.Reviewer.GetAsync(s.Url($"promotions/{request.Id}"))).ReadOkAsync<PromotionDetailResponse>()).Request.Actions.Approve);
        Assert.True((await (await s.Admin.GetAsync(s.Url($"promotions/{request.Id}"))).ReadOkAsync<PromotionDetailResponse>()).Request.Actions.Approve);
        var applied = await (await ApproveAsync(s, s.Admin, request.Id)).ReadOkAsync<PromotionResponse>();
        Assert.Equal(PromotionStates.Applied, applied.State);
        Assert.Equal("v1", await AliasAsync(s));

        // Viewers cannot ask; unprotected aliases need no request; the same version again is no change.
        await (await s.Viewer.PostJsonAsync(s.Url("artifacts/corpus/promotions"), new CreatePromotionRequest("v2", "production"))).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        await (await s.Contributor.PostJsonAsync(s.Url("artifacts/corpus/promotions"), new CreatePromotionRequest("v2", "golden"))).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.AliasNotProtected);
        await (await s.Contributor.PostJsonAsync(s.Url("artifacts/corpus/promotions"), new CreatePromotionRequest("v1", "production"))).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.PromotionNoChange);
        await (await s.Contributor.PostJsonAsync(s.Url("artifacts/corpus/promotions"), new CreatePromotionRequest("v9", "production"))).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.VersionNotFound);
    }

    [SkippableFact]
    public async Task A_protected_alias_cannot_be_set_or_removed_directly_nor_requested_at_upload()
    {
        app.SkipIfUnavailable();
        var s = await SetUpAsync(2);
        await SetAliasAsync(s, "production", "v0");
        var uploads = new ArtifactUploads(s.Contributor, s.Team.Slug);
        // A version created before the policy, asking for production at commit.
        var early = await (await uploads.CreateAsync("corpus", [ArtifactUploads.Reference("early.md")], aliases: ["production"])).ReadOkAsync<CreateVersionResponse>(HttpStatusCode.Created);
        (await s.Admin.PutAsJsonAsync(s.Url("promotion-policies/production"), new PromotionPolicyRequest())).EnsureSuccessStatusCode();

        var set = await (await s.Admin.PutAsJsonAsync(s.Url("artifacts/corpus/aliases/production"), new SetAliasRequest("v1"))).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.AliasProtected);
        Assert.Contains("portal artifact promote", set.GetProperty("detail").GetString());
        Assert.Equal($"/api/v1/projects/{s.Team.Slug}/artifacts/corpus/promotions", set.GetProperty("promotion").GetString());
        await (await s.Admin.DeleteAsync(s.Url("artifacts/corpus/aliases/production"))).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.AliasProtected);
        await (await uploads.CreateAsync("corpus", [ArtifactUploads.Reference("late.md")], aliases: ["staging", "production"])).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.AliasProtected);
        await (await uploads.CreateNdjsonAsync("corpus", [ArtifactUploads.Reference("late.md")], "type=dataset&alias=production")).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.AliasProtected);
        await (await uploads.CommitAsync("corpus", early.VersionId!.Value)).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.AliasProtected);
        Assert.Equal("v0", await AliasAsync(s));
        Assert.Equal(2, (await uploads.ListVersionsAsync("corpus")).Total);

        // Other aliases stay free, and removing the policy frees production again.
        await SetAliasAsync(s, "staging", "v1");
        Assert.Equal(HttpStatusCode.NoContent, (await s.Admin.DeleteAsync(s.Url("promotion-policies/production"))).StatusCode);
        await SetAliasAsync(s, "production", "v1");
        Assert.Equal("v1", await AliasAsync(s));
    }

    [SkippableFact]
    public async Task Concurrent_approvals_apply_a_request_once_and_only_one_of_two_requests_for_an_alias_applies()
    {
        app.SkipIfUnavailable();
        var s = await SetUpAsync(3, new PromotionPolicyRequest(RequiredApprovals: 2));
        var second = await app.Data.CreateUserAsync("reviewer2");
        await app.Data.AddMemberAsync(s.Team.Admin, s.Team.Slug, second, ProjectRole.Reviewer);
        var approvers = new[] { s.Reviewer, s.Admin, app.ClientWithToken(second.Token) };

        var request = await RequestAsync(s, "v1");
        var answers = await Task.WhenAll(approvers.Select(c => ApproveAsync(s, c, request.Id)));
        Assert.Equal(2, answers.Count(a => a.StatusCode == HttpStatusCode.OK));
        await Assert.Single(answers, a => a.StatusCode != HttpStatusCode.OK).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.PromotionClosed);
        Assert.Single(await QueryAsync(db => db.AliasEvents.Where(e => e.PromotionRequestId == request.Id).ToListAsync()));
        Assert.Equal("v1", await AliasAsync(s));

        // Two requests against the same position of the alias, approved at the same moment: one applies, one is stale.
        (await s.Admin.PutAsJsonAsync(s.Url("promotion-policies/production"), new PromotionPolicyRequest(RequiredApprovals: 1))).EnsureSuccessStatusCode();
        var toV2 = await RequestAsync(s, "v2");
        var toV0 = await RequestAsync(s, "v0");
        var both = await Task.WhenAll(ApproveAsync(s, s.Reviewer, toV2.Id), ApproveAsync(s, s.Admin, toV0.Id));
        var winner = Assert.Single(both, a => a.StatusCode == HttpStatusCode.OK);
        await Assert.Single(both, a => a.StatusCode != HttpStatusCode.OK).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.PromotionStale);
        var applied = await winner.ReadOkAsync<PromotionResponse>();
        Assert.Equal(PromotionStates.Applied, applied.State);
        Assert.Equal(applied.Version, await AliasAsync(s));
        var moves = await QueryAsync(db => db.AliasEvents.Where(e => e.PromotionRequestId == toV2.Id || e.PromotionRequestId == toV0.Id).ToListAsync());
        Assert.Single(moves);
    }

    [SkippableFact]
    public async Task A_request_whose_alias_moved_is_stale_until_its_requester_reconfirms_it()
    {
        app.SkipIfUnavailable();
        var s = await SetUpAsync(3, new PromotionPolicyRequest(RequiredApprovals: 1));
        var toV1 = await RequestAsync(s, "v1");
        var toV2 = await RequestAsync(s, "v2");
        (await ApproveAsync(s, s.Admin, toV2.Id)).EnsureSuccessStatusCode();

        var stale = (await (await s.Reviewer.GetAsync(s.Url($"promotions/{toV1.Id}"))).ReadOkAsync<PromotionDetailResponse>());
        Assert.True(stale.Request.Stale);
        Assert.Equal(("v2", false, true), (stale.Request.CurrentVersion, stale.Request.Actions.Approve, stale.Request.Actions.Reject));
        Assert.Contains(stale.Checks, c => c.Name == "alias_unchanged" && c.State == PromotionCheckStates.Failed);
        await (await ApproveAsync(s, s.Reviewer, toV1.Id)).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.PromotionStale);
        // A stale request waits for its requester, not for reviewers.
        var queue = await (await s.Reviewer.GetAsync("/api/v1/promotions")).ReadOkAsync<List<PromotionResponse>>();
        Assert.DoesNotContain(queue, r => r.Id == toV1.Id);

        await (await s.Reviewer.PostJsonAsync(s.Url($"promotions/{toV1.Id}/reconfirm"), new PromotionDecisionRequest())).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        var reconfirmed = await (await s.Contributor.PostJsonAsync(s.Url($"promotions/{toV1.Id}/reconfirm"), new PromotionDecisionRequest("still want v1"))).ReadOkAsync<PromotionResponse>();
        Assert.Equal((false, "v2", PromotionStates.Open), (reconfirmed.Stale, reconfirmed.FromVersion, reconfirmed.State));
        var detail = await (await s.Viewer.GetAsync(s.Url($"promotions/{toV1.Id}"))).ReadOkAsync<PromotionDetailResponse>();
        Assert.NotNull(detail.Diff);
        Assert.Equal((1, 1), (detail.Diff.Added, detail.Diff.Removed));

        (await ApproveAsync(s, s.Reviewer, toV1.Id)).EnsureSuccessStatusCode();
        Assert.Equal("v1", await AliasAsync(s));
    }

    [SkippableFact]
    public async Task Rollback_goes_through_the_policy_or_at_once_in_an_emergency_with_a_review_after_and_alias_at_time_follows_every_move()
    {
        app.SkipIfUnavailable();
        var s = await SetUpAsync(3);
        await SetAliasAsync(s, "production", "v0");
        var t0 = await PauseAsync();
        (await s.Admin.PutAsJsonAsync(s.Url("promotion-policies/production"), new PromotionPolicyRequest(RequiredApprovals: 1))).EnsureSuccessStatusCode();
        (await ApproveAsync(s, s.Reviewer, (await RequestAsync(s, "v1")).Id)).EnsureSuccessStatusCode();
        var t1 = await PauseAsync();
        (await ApproveAsync(s, s.Reviewer, (await RequestAsync(s, "v2")).Id)).EnsureSuccessStatusCode();
        var t2 = await PauseAsync();

        var rollback = await (await s.Contributor.PostJsonAsync(s.Url("artifacts/corpus/aliases/production/rollback"), new RollbackRequest("v2 breaks retrieval")))
            .ReadOkAsync<PromotionResponse>(HttpStatusCode.Created);
        Assert.Equal(("rollback", "v1", "v2", PromotionStates.Open), (rollback.Kind, rollback.Version, rollback.FromVersion, rollback.State));
        Assert.Equal("v2", await AliasAsync(s));
        await (await ApproveAsync(s, s.Contributor, rollback.Id)).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.PromotionSelfApproval);
        (await ApproveAsync(s, s.Reviewer, rollback.Id)).EnsureSuccessStatusCode();
        Assert.Equal("v1", await AliasAsync(s));
        var t3 = await PauseAsync();

        // Emergency: project admins only, applied at once, then reviewed by someone else.
        await (await s.Contributor.PostJsonAsync(s.Url("artifacts/corpus/aliases/production/rollback"), new RollbackRequest("now", Emergency: true)))
            .AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        await (await s.Admin.PostJsonAsync(s.Url("artifacts/corpus/aliases/production/rollback"), new RollbackRequest(Emergency: true)))
            .AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        var emergency = await (await s.Admin.PostJsonAsync(s.Url("artifacts/corpus/aliases/production/rollback"), new RollbackRequest("outage: v1 returns empty answers", Emergency: true)))
            .ReadOkAsync<PromotionResponse>(HttpStatusCode.Created);
        Assert.Equal((PromotionStates.Applied, true, true, "v2"), (emergency.State, emergency.Emergency, emergency.NeedsReview, emergency.Version));
        Assert.Equal("v2", await AliasAsync(s));
        var t4 = await PauseAsync();

        var queue = await (await s.Reviewer.GetAsync("/api/v1/promotions")).ReadOkAsync<List<PromotionResponse>>();
        Assert.Contains(queue, r => r.Id == emergency.Id && r.Actions.Review);
        await (await s.Admin.PostJsonAsync(s.Url($"promotions/{emergency.Id}/review"), new PromotionDecisionRequest("ok"))).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.PromotionSelfApproval);
        var reviewed = await (await s.Reviewer.PostJsonAsync(s.Url($"promotions/{emergency.Id}/review"), new PromotionDecisionRequest("agreed, v1 was broken"))).ReadOkAsync<PromotionResponse>();
        Assert.False(reviewed.NeedsReview);
        Assert.Equal("reviewer", reviewed.ReviewedBy);
        await (await s.Reviewer.PostJsonAsync(s.Url($"promotions/{emergency.Id}/review"), new PromotionDecisionRequest())).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.PromotionClosed);

        // "Which version was production at time T", across direct, promoted, rolled-back and emergency moves.
        foreach (var (time, expected) in new[] { (t0, "v0"), (t1, "v1"), (t2, "v2"), (t3, "v1"), (t4, "v2") })
        {
            var then = await (await s.Viewer.GetAsync(s.Url($"artifacts/corpus/aliases/production/at?time={Uri.EscapeDataString(time.ToString("O"))}"))).ReadOkAsync<ArtifactVersionResponse>();
            Assert.Equal(expected, then.Version);
        }

        // An unprotected alias has nothing to approve; one with a single position has nothing to go back to.
        await SetAliasAsync(s, "staging", "v0");
        await (await s.Contributor.PostJsonAsync(s.Url("artifacts/corpus/aliases/staging/rollback"), new RollbackRequest())).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.AliasNotProtected);
        (await s.Admin.PutAsJsonAsync(s.Url("promotion-policies/staging"), new PromotionPolicyRequest())).EnsureSuccessStatusCode();
        await (await s.Contributor.PostJsonAsync(s.Url("artifacts/corpus/aliases/staging/rollback"), new RollbackRequest())).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.PromotionNoPreviousVersion);
    }

    [SkippableFact]
    public async Task Required_checks_hold_an_approved_request_until_they_pass()
    {
        app.SkipIfUnavailable();
        var s = await SetUpAsync(2);
        await SetAliasAsync(s, "production", "v0");
        (await s.Admin.PutAsJsonAsync(s.Url("promotion-policies/production"), new PromotionPolicyRequest(RequireValidation: true, RequireCompareReport: true))).EnsureSuccessStatusCode();
        var request = await RequestAsync(s, "v1");
        app.Checks.SetValidation(s.Versions[1].Id, VersionCheckState.Running);

        var approved = await (await ApproveAsync(s, s.Reviewer, request.Id)).ReadOkAsync<PromotionResponse>();
        Assert.Equal(PromotionStates.Approved, approved.State);
        Assert.Equal("v0", await AliasAsync(s));
        var detail = await (await s.Contributor.GetAsync(s.Url($"promotions/{request.Id}"))).ReadOkAsync<PromotionDetailResponse>();
        Assert.Equal(PromotionCheckStates.Pending, detail.Checks.Single(c => c.Name == "validation").State);
        Assert.Equal(PromotionCheckStates.Missing, detail.Checks.Single(c => c.Name == "compare_report").State);
        Assert.True(detail.Request.Actions.Apply);
        await (await s.Contributor.PostAsync(s.Url($"promotions/{request.Id}/apply"), null)).AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.PromotionChecksPending);

        app.Checks.SetValidation(s.Versions[1].Id, VersionCheckState.Passed);
        app.Checks.SetCompareReport(s.Versions[0].Id, s.Versions[1].Id, VersionCheckState.Passed);
        detail = await (await s.Contributor.GetAsync(s.Url($"promotions/{request.Id}"))).ReadOkAsync<PromotionDetailResponse>();
        Assert.All(detail.Checks, c => Assert.Equal(PromotionCheckStates.Passed, c.State));
        Assert.Equal("/reports/test", detail.Checks.Single(c => c.Name == "compare_report").Link);
        var applied = await (await s.Contributor.PostAsync(s.Url($"promotions/{request.Id}/apply"), null)).ReadOkAsync<PromotionResponse>();
        Assert.Equal(PromotionStates.Applied, applied.State);
        Assert.Equal("v1", await AliasAsync(s));
    }

    [SkippableFact]
    public async Task Reviewers_are_mailed_when_a_request_opens_and_the_requester_when_it_is_decided_and_the_queue_follows()
    {
        app.SkipIfUnavailable();
        var s = await SetUpAsync(3, new PromotionPolicyRequest(RequiredApprovals: 1));
        var request = await RequestAsync(s, "v1", comment: "ship it");

        var opened = Assert.Single(app.MailTo(s.Team.Reviewer.Email));
        Assert.Contains("corpus:production", opened.Subject);
        Assert.Contains("ship it", opened.TextBody);
        Assert.Contains($"/projects/{s.Team.Slug}/promotions/{request.Id}", opened.TextBody);
        Assert.Single(app.MailTo(s.Team.Admin.Email));
        Assert.Empty(app.MailTo(s.Team.Viewer.Email));
        Assert.Empty(app.MailTo(s.Team.Contributor.Email));

        Assert.Equal(1, (await (await s.Reviewer.GetAsync("/api/v1/promotions/count")).ReadOkAsync<PromotionQueueCount>()).Awaiting);
        var awaiting = await (await s.Reviewer.GetAsync($"/api/v1/promotions?project={s.Team.Slug}")).ReadOkAsync<List<PromotionResponse>>();
        Assert.Equal([request.Id], awaiting.Select(r => r.Id));
        Assert.Empty(await (await s.Reviewer.GetAsync($"/api/v1/promotions?project={s.Team.Slug}&alias=staging")).ReadOkAsync<List<PromotionResponse>>());
        Assert.Empty(await (await s.Contributor.GetAsync("/api/v1/promotions")).ReadOkAsync<List<PromotionResponse>>());
        var mine = await (await s.Contributor.GetAsync("/api/v1/promotions?scope=mine&state=pending")).ReadOkAsync<List<PromotionResponse>>();
        Assert.Equal([request.Id], mine.Select(r => r.Id));
        await (await s.Contributor.GetAsync("/api/v1/promotions?scope=everything")).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);

        (await s.Viewer.PostJsonAsync(s.Url($"promotions/{request.Id}/comments"), new PromotionCommentRequest("is the eval done?"))).EnsureSuccessStatusCode();
        await (await s.Reviewer.PostJsonAsync(s.Url($"promotions/{request.Id}/reject"), new PromotionDecisionRequest())).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        var rejected = await (await s.Reviewer.PostJsonAsync(s.Url($"promotions/{request.Id}/reject"), new PromotionDecisionRequest("eval not run yet"))).ReadOkAsync<PromotionResponse>();
        Assert.Equal(PromotionStates.Rejected, rejected.State);
        var decision = Assert.Single(app.MailTo(s.Team.Contributor.Email));
        Assert.Contains("rejected", decision.Subject);
        Assert.Contains("eval not run yet", decision.TextBody);
        Assert.Equal(0, (await (await s.Reviewer.GetAsync("/api/v1/promotions/count")).ReadOkAsync<PromotionQueueCount>()).Awaiting);

        var again = await RequestAsync(s, "v2");
        await (await s.Reviewer.PostJsonAsync(s.Url($"promotions/{again.Id}/cancel"), new PromotionDecisionRequest())).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        (await ApproveAsync(s, s.Admin, again.Id)).EnsureSuccessStatusCode();
        var mail = app.MailTo(s.Team.Contributor.Email);
        var applied = mail[^1];
        Assert.Contains("applied", applied.Subject);
        var listed = await (await s.Viewer.GetAsync(s.Url("promotions?state=applied"))).ReadOkAsync<List<PromotionResponse>>();
        Assert.Equal([again.Id], listed.Select(r => r.Id));
        await (await s.Viewer.GetAsync(s.Url("promotions?state=weird"))).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        await (await s.Viewer.GetAsync(s.Url($"promotions/{Guid.NewGuid()}"))).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.PromotionNotFound);
    }

    [SkippableFact]
    public async Task The_demo_seed_protects_production_and_leaves_a_request_to_review()
    {
        app.SkipIfUnavailable();
        await app.WithServicesAsync(sp => sp.GetRequiredService<DemoData>().SeedAsync(PortalApp.AdminEmail));
        var admin = app.AdminClient();
        var policies = await (await admin.GetAsync($"/api/v1/projects/{DemoData.ProjectSlug}/promotion-policies")).ReadOkAsync<List<PromotionPolicyResponse>>();
        Assert.Equal([("production", "staging")], policies.Select(p => (p.Alias, p.RequiredSourceAlias)));
        var pending = await (await admin.GetAsync($"/api/v1/projects/{DemoData.ProjectSlug}/promotions?state=pending")).ReadOkAsync<List<PromotionResponse>>();
        var request = Assert.Single(pending);
        Assert.Equal(("support-index", "production", "v1", "v0"), (request.Artifact, request.Alias, request.Version, request.FromVersion));
        Assert.True(request.Actions.Approve, "the demo admin did not make the request, so may approve it");
    }

    private static async Task<DateTimeOffset> PauseAsync()
    {
        // Alias events are ordered by time; a visible gap keeps "at T" unambiguous on every provider's precision.
        await Task.Delay(30);
        var now = DateTimeOffset.UtcNow;
        await Task.Delay(30);
        return now;
    }
}

public sealed class PromotionsApiTests_Sqlite(PromotionsSqliteApp app) : PromotionsApiTests(app), IClassFixture<PromotionsSqliteApp>;

public sealed class PromotionsApiTests_Postgres(PromotionsPostgresApp app) : PromotionsApiTests(app), IClassFixture<PromotionsPostgresApp>;

public sealed class PromotionsApiTests_SqlServer(PromotionsSqlServerApp app) : PromotionsApiTests(app), IClassFixture<PromotionsSqlServerApp>;
