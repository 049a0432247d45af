using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using Portal.Core;
using Portal.Core.Features.Notifications;

namespace Portal.Web.Tests.Features.Notifications;

/// <summary>
/// The e-mail sender against a real SMTP server (smtp4dev, started by infra/scripts/test.sh) and the pickup folder,
/// configured through the same settings and registration the portal uses.
/// </summary>
public sealed class EmailSenderTests : IDisposable
{
    private readonly string _pickup = Path.Combine(Path.GetTempPath(), "portal-tests", "mail-" + Guid.NewGuid().ToString("N")[..12]);

    private static ServiceProvider Services(IDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddNotificationsFeature(configuration).BuildServiceProvider();
    }

    private static ServiceProvider SmtpServices(SmtpMailbox mailbox) => Services(new Dictionary<string, string?>
    {
        ["Email:From"] = "Portal tests <portal@tests.local>",
        ["Email:Smtp:Host"] = mailbox.Host,
        ["Email:Smtp:Port"] = mailbox.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Email:Smtp:Security"] = "None",
    });

    private static string Recipient(string name) => $"{name}-{Guid.NewGuid():N}@tests.local";

    [SkippableFact]
    public async Task Smtp_delivers_one_message_to_every_recipient_with_subject_text_and_html()
    {
        using var mailbox = SmtpMailbox.Open();
        await using var services = SmtpServices(mailbox);
        var reviewer = Recipient("reviewer");
        var second = Recipient("second");
        const string subject = "Promotion requested: corpus:v3 → production";

        await services.GetRequiredService<IEmailSender>().SendAsync(new EmailMessage(
            [reviewer, second], subject, "Please review corpus:v3.\nOpen the request in the portal.", "<p>Please review <b>corpus:v3</b>.</p>"), CancellationToken.None);

        var (message, deliveredTo) = await mailbox.WaitForAsync(reviewer);
        Assert.Equal(subject, message.Subject);
        Assert.Equal("portal@tests.local", message.From.Mailboxes.Single().Address);
        Assert.Equal("Portal tests", message.From.Mailboxes.Single().Name);
        Assert.Equal([reviewer, second], message.To.Mailboxes.Select(m => m.Address));
        Assert.Contains(reviewer, deliveredTo);
        Assert.Contains(second, deliveredTo);
        Assert.Equal("Please review corpus:v3.\nOpen the request in the portal.", message.TextBody!.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd());
        Assert.Equal("<p>Please review <b>corpus:v3</b>.</p>", message.HtmlBody!.Trim());
        Assert.IsType<MultipartAlternative>(message.Body);
    }

    [SkippableFact]
    public async Task Smtp_sends_text_only_messages_as_plain_text()
    {
        using var mailbox = SmtpMailbox.Open();
        await using var services = SmtpServices(mailbox);
        var requester = Recipient("requester");

        await services.GetRequiredService<IEmailSender>().SendAsync(new EmailMessage([requester], "Your promotion was approved", "Approved by reviewer@tests.local."), CancellationToken.None);

        var (message, _) = await mailbox.WaitForAsync(requester);
        Assert.Equal("Your promotion was approved", message.Subject);
        Assert.Null(message.HtmlBody);
        Assert.Equal("Approved by reviewer@tests.local.", message.TextBody!.Trim());
        Assert.IsType<TextPart>(message.Body);
    }

    [SkippableFact]
    public async Task An_unreachable_smtp_server_is_an_error_the_caller_sees()
    {
        using var mailbox = SmtpMailbox.Open();
        await using var services = Services(new Dictionary<string, string?> { ["Email:Smtp:Host"] = "127.0.0.1", ["Email:Smtp:Port"] = "9", ["Email:Smtp:Security"] = "None" });
        await Assert.ThrowsAnyAsync<Exception>(() =>
            services.GetRequiredService<IEmailSender>().SendAsync(new EmailMessage([Recipient("nobody")], "lost", "lost"), CancellationToken.None));
    }

    [Fact]
    public async Task Without_an_smtp_host_messages_are_written_to_the_pickup_folder()
    {
        await using var services = Services(new Dictionary<string, string?> { ["Email:PickupFolder"] = _pickup, ["Email:From"] = "portal@tests.local" });
        var sender = services.GetRequiredService<IEmailSender>();
        var to = Recipient("picked");

        await sender.SendAsync(new EmailMessage([to, "second@tests.local"], "Written to disk", "text body", "<p>html body</p>"), CancellationToken.None);
        await sender.SendAsync(new EmailMessage([], "to nobody", "not written"), CancellationToken.None);

        var file = Assert.Single(Directory.GetFiles(_pickup, "*.eml"));
        var message = await MimeMessage.LoadAsync(file);
        Assert.Equal("Written to disk", message.Subject);
        Assert.Equal([to, "second@tests.local"], message.To.Mailboxes.Select(m => m.Address));
        Assert.Equal("text body", message.TextBody!.Trim());
        Assert.Equal("<p>html body</p>", message.HtmlBody!.Trim());
    }

    public void Dispose()
    {
        if (Directory.Exists(_pickup))
            Directory.Delete(_pickup, recursive: true);
    }
}
