using Portal.Core.Data;
using Portal.Web.Tests.Features.Artifacts;

namespace Portal.Web.Tests.Features.Promotions;

/// <summary>The portal configured with a real SMTP server (smtp4dev, started by infra/scripts/test.sh).</summary>
public sealed class SmtpPortalApp() : PortalApp(DatabaseProvider.Sqlite)
{
    protected override IDictionary<string, string?> Settings
    {
        get
        {
            var endpoint = Environment.GetEnvironmentVariable(SmtpMailbox.SmtpVariable);
            if (string.IsNullOrWhiteSpace(endpoint))
                return new Dictionary<string, string?>();
            var colon = endpoint.LastIndexOf(':');
            return new Dictionary<string, string?>
            {
                ["Email:From"] = "Portal <portal@tests.local>",
                ["Email:Smtp:Host"] = endpoint[..colon],
                ["Email:Smtp:Port"] = endpoint[(colon + 1)..],
                ["Email:Smtp:Security"] = "None",
            };
        }
    }
}

/// <summary>Promotion notifications travel through SMTP: reviewers when a request opens, the requester on the decision.</summary>
public sealed class PromotionMailOverSmtpTests(SmtpPortalApp app) : IClassFixture<SmtpPortalApp>
{
    [SkippableFact]
    public async Task Reviewers_and_then_the_requester_receive_the_promotion_mail_through_smtp()
    {
        Skip.If(SmtpMailbox.UnavailableReason is not null, SmtpMailbox.UnavailableReason);
        using var mailbox = SmtpMailbox.Open();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var contributor = app.ClientWithToken(team.Contributor.Token);
        var uploads = new ArtifactUploads(contributor, team.Slug);
        await uploads.PublishAsync("corpus", [], [ArtifactUploads.Reference("doc0.md")]);
        await uploads.PublishAsync("corpus", [], [ArtifactUploads.Reference("doc1.md")]);
        var admin = app.ClientWithToken(team.Admin.Token);
        (await admin.PutAsJsonAsync($"/api/v1/projects/{team.Slug}/promotion-policies/production", new PromotionPolicyRequest(RequiredApprovals: 1))).EnsureSuccessStatusCode();

        var request = await (await contributor.PostJsonAsync($"/api/v1/projects/{team.Slug}/artifacts/corpus/promotions", new CreatePromotionRequest("v1", "production", "recall@5 up")))
            .ReadOkAsync<PromotionResponse>(HttpStatusCode.Created);

        var (opened, deliveredTo) = await mailbox.WaitForAsync(team.Reviewer.Email);
        Assert.Contains(team.Reviewer.Email, deliveredTo);
        Assert.Contains("corpus:production", opened.Subject);
        Assert.Contains("recall@5 up", opened.TextBody);
        Assert.Contains($"/projects/{team.Slug}/promotions/{request.Id}", opened.TextBody);
        Assert.DoesNotContain(team.Contributor.Email, opened.To.Mailboxes.Select(m => m.Address));

        var reviewer = app.ClientWithToken(team.Reviewer.Token);
        (await reviewer.PostJsonAsync($"/api/v1/projects/{team.Slug}/promotions/{request.Id}/approve", new PromotionDecisionRequest("checked"))).EnsureSuccessStatusCode();
        var (applied, _) = await mailbox.WaitForAsync(team.Contributor.Email);
        Assert.Contains("applied", applied.Subject);
    }
}
