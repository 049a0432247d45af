using MimeKit;
using Portal.Core.Data;
using Portal.Web.Tests.Features.Artifacts;

namespace Portal.Web.Tests.Features.Reports;

/// <summary>The portal sending through the test run's real SMTP server (smtp4dev), without a public URL.</summary>
public sealed class DigestsSmtpApp() : PortalApp(DatabaseProvider.Sqlite)
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

/// <summary>A digest travels through SMTP as multipart/alternative, to the subscriber only, with relative links when no public URL is set.</summary>
public sealed class DigestMailOverSmtpTests(DigestsSmtpApp app) : IClassFixture<DigestsSmtpApp>
{
    [SkippableFact]
    public async Task Send_now_delivers_the_digest_with_subject_text_and_html_to_the_subscriber()
    {
        Skip.If(SmtpMailbox.UnavailableReason is not null, SmtpMailbox.UnavailableReason);
        using var mailbox = SmtpMailbox.Open();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var viewer = app.ClientWithToken(team.Viewer.Token);
        (await viewer.PutAsJsonAsync($"/api/v1/projects/{team.Slug}/digest-subscription", new DigestSubscriptionRequest("weekly", 6, "tuesday"))).EnsureSuccessStatusCode();
        var uploads = new ArtifactUploads(app.ClientWithToken(team.Contributor.Token), team.Slug);
        await uploads.PublishAsync("corpus", [], [ArtifactUploads.Reference("doc0.md")]);
        await uploads.PublishAsync("corpus", [], [ArtifactUploads.Reference("doc1.md")]);

        var sent = await (await viewer.PostAsync($"/api/v1/projects/{team.Slug}/digest-subscription/send", null)).ReadOkAsync<DigestSendResponse>();
        Assert.True(sent.Sent, sent.Message);

        var (message, deliveredTo) = await mailbox.WaitForAsync(team.Viewer.Email);
        Assert.Equal([team.Viewer.Email], deliveredTo);
        Assert.Equal([team.Viewer.Email], message.To.Mailboxes.Select(m => m.Address));
        Assert.Equal("portal@tests.local", message.From.Mailboxes.Single().Address);
        Assert.Equal($"[{team.Slug}] Weekly digest: 2 new versions", message.Subject);
        Assert.IsType<MultipartAlternative>(message.Body);

        var text = message.TextBody!.Replace("\r\n", "\n", StringComparison.Ordinal);
        Assert.Contains($"Project {team.Slug} ({team.Slug})", text, StringComparison.Ordinal);
        Assert.Contains("New versions (2)", text, StringComparison.Ordinal);
        Assert.Contains("- corpus:v0 (dataset, 1 file", text, StringComparison.Ordinal);
        Assert.Contains("- corpus:v1 (dataset, 1 file", text, StringComparison.Ordinal);
        Assert.Contains($"\n  /projects/{team.Slug}/artifacts/corpus/v1\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("http", text, StringComparison.Ordinal);

        var html = message.HtmlBody!;
        Assert.StartsWith("<!DOCTYPE html>", html.TrimStart(), StringComparison.Ordinal);
        Assert.Contains($"<a href=\"/projects/{team.Slug}/artifacts/corpus/v1\">corpus:v1</a>", html, StringComparison.Ordinal);
        Assert.Contains("New versions (2)", html, StringComparison.Ordinal);
        Assert.Contains($"href=\"/projects/{team.Slug}/settings/reports\"", html, StringComparison.Ordinal);
    }
}
