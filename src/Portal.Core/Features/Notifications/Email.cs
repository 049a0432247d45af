using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using static Portal.Core.ValidatedOptions;

namespace Portal.Core.Features.Notifications;

/// <summary>One e-mail: plain text always, HTML optionally (sent as multipart/alternative).</summary>
public sealed record EmailMessage(IReadOnlyList<string> To, string Subject, string TextBody, string? HtmlBody = null);

public interface IEmailSender
{
    Task SendAsync(EmailMessage message, CancellationToken ct);
}

public sealed class EmailOptions : IValidatedOptions
{
    public const string Section = "Email";

    public string From { get; set; } = "Portal <portal@localhost>";

    /// <summary>Where messages are written as <c>.eml</c> files when no SMTP host is configured.</summary>
    public string PickupFolder { get; set; } = "data/mail";

    public SmtpOptions Smtp { get; set; } = new();

    public IEnumerable<string> Problems()
    {
        if (!MimeKit.MailboxAddress.TryParse(From, out _))
            yield return $"Email:From must be a mailbox such as \"Portal <portal@example.com>\" (it is '{From}').";
        if (string.IsNullOrWhiteSpace(Smtp.Host))
        {
            foreach (var problem in Required("Email:PickupFolder (where messages go while Email:Smtp:Host is empty)", PickupFolder))
                yield return problem;
        }
        if (Smtp.Port is < 1 or > 65535)
            yield return $"Email:Smtp:Port must be between 1 and 65535 (it is {Smtp.Port}).";
        if (!Enum.TryParse<MailKit.Security.SecureSocketOptions>(Smtp.Security, ignoreCase: true, out _))
            yield return $"Email:Smtp:Security must be one of {string.Join(", ", Enum.GetNames<MailKit.Security.SecureSocketOptions>())} (it is '{Smtp.Security}').";
    }
}

public sealed class SmtpOptions
{
    /// <summary>SMTP server; empty means "write to the pickup folder".</summary>
    public string Host { get; set; } = "";

    public int Port { get; set; } = 25;

    /// <summary><c>None</c>, <c>StartTls</c>, <c>SslOnConnect</c> or <c>Auto</c>.</summary>
    public string Security { get; set; } = "Auto";

    public string UserName { get; set; } = "";

    public string Password { get; set; } = "";
}

/// <summary>Sends through SMTP with MailKit when <c>Email:Smtp:Host</c> is set, else drops <c>.eml</c> files in the pickup folder.</summary>
public sealed class MailKitEmailSender(IOptionsMonitor<EmailOptions> options, ILogger<MailKitEmailSender> logger) : IEmailSender
{
    public async Task SendAsync(EmailMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.To.Count == 0)
        {
            return;
        }

        var settings = options.CurrentValue;
        using var mime = Build(message, settings.From);
        if (string.IsNullOrWhiteSpace(settings.Smtp.Host))
        {
            Directory.CreateDirectory(settings.PickupFolder);
            var file = Path.Combine(settings.PickupFolder, $"{DateTime.UtcNow:yyyyMMddHHmmssfff}-{Guid.NewGuid():N}.eml");
            await mime.WriteToAsync(file, ct);
            logger.LogInformation("E-mail \"{Subject}\" to {Count} recipient(s) written to {File}", message.Subject, message.To.Count, file);
            return;
        }

        using var client = new SmtpClient();
        var security = Enum.TryParse<SecureSocketOptions>(settings.Smtp.Security, ignoreCase: true, out var s) ? s : SecureSocketOptions.Auto;
        await client.ConnectAsync(settings.Smtp.Host, settings.Smtp.Port, security, ct);
        if (!string.IsNullOrEmpty(settings.Smtp.UserName))
        {
            await client.AuthenticateAsync(settings.Smtp.UserName, settings.Smtp.Password, ct);
        }

        await client.SendAsync(mime, ct);
        await client.DisconnectAsync(quit: true, ct);
        logger.LogInformation("E-mail \"{Subject}\" sent to {Count} recipient(s) via {Host}", message.Subject, message.To.Count, settings.Smtp.Host);
    }

    internal static MimeMessage Build(EmailMessage message, string from)
    {
        var mime = new MimeMessage();
        mime.From.Add(MailboxAddress.Parse(from));
        foreach (var to in message.To)
        {
            mime.To.Add(MailboxAddress.Parse(to));
        }

        mime.Subject = message.Subject;
        var body = new BodyBuilder { TextBody = message.TextBody };
        if (message.HtmlBody is not null)
        {
            body.HtmlBody = message.HtmlBody;
        }

        mime.Body = body.ToMessageBody();
        return mime;
    }
}
