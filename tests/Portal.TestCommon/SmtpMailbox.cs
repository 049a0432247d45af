using System.Net.Http.Json;
using System.Text.Json;
using MimeKit;
using Xunit;

namespace Portal.TestCommon;

/// <summary>
/// The test run's real SMTP server (smtp4dev, started by <c>infra/scripts/test.sh</c>): where to send
/// (<c>PORTAL_TEST_SMTP=host:port</c>) and what it received, read through its HTTP API (<c>PORTAL_TEST_SMTP_API</c>).
/// </summary>
public sealed class SmtpMailbox : IDisposable
{
    public const string SmtpVariable = "PORTAL_TEST_SMTP";
    public const string ApiVariable = "PORTAL_TEST_SMTP_API";

    private readonly HttpClient _api;

    private SmtpMailbox(string host, int port, string api)
    {
        Host = host;
        Port = port;
        _api = new HttpClient { BaseAddress = new Uri(api.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public string Host { get; }

    public int Port { get; }

    public static string? UnavailableReason =>
        string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(SmtpVariable)) || string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(ApiVariable))
            ? $"SMTP tests need {SmtpVariable} (host:port) and {ApiVariable} (smtp4dev's HTTP API); infra/scripts/test.sh sets them."
            : null;

    /// <summary>Skips the calling test when no SMTP server is configured; otherwise the mailbox.</summary>
    public static SmtpMailbox Open()
    {
        Skip.If(UnavailableReason is not null, UnavailableReason);
        var endpoint = Environment.GetEnvironmentVariable(SmtpVariable)!;
        var colon = endpoint.LastIndexOf(':');
        return new SmtpMailbox(endpoint[..colon], int.Parse(endpoint[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture), Environment.GetEnvironmentVariable(ApiVariable)!);
    }

    /// <summary>
    /// Waits for the message addressed (envelope or header) to <paramref name="recipient"/> and parses it from its raw
    /// source. Tests use unique recipients, so they can share the server.
    /// </summary>
    public async Task<(MimeMessage Message, IReadOnlyList<string> DeliveredTo)> WaitForAsync(string recipient, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var list = await _api.GetFromJsonAsync<JsonElement>("api/messages?pageSize=500");
            foreach (var summary in list.GetProperty("results").EnumerateArray())
            {
                var to = summary.GetProperty("to").EnumerateArray().Select(t => t.GetString() ?? "").ToList();
                var delivered = (summary.TryGetProperty("deliveredTo", out var d) ? d.GetString() ?? "" : "")
                    .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                if (!to.Concat(delivered).Any(t => t.Contains(recipient, StringComparison.OrdinalIgnoreCase)))
                    continue;
                var id = summary.GetProperty("id").GetString();
                await using var raw = await _api.GetStreamAsync($"api/messages/{id}/raw");
                using var buffer = new MemoryStream();
                await raw.CopyToAsync(buffer);
                buffer.Position = 0;
                return (await MimeMessage.LoadAsync(buffer), delivered);
            }

            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"No message to {recipient} reached the SMTP server.");
            await Task.Delay(200);
        }
    }

    public void Dispose() => _api.Dispose();
}
