using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Portal.TestCommon;

/// <summary>A request a <see cref="WebhookReceiver"/> received: path and query, headers and the exact body bytes.</summary>
public sealed record ReceivedWebhook(DateTimeOffset At, string Target, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var value) ? value : null;
}

/// <summary>
/// A real HTTP server on 127.0.0.1 (Kestrel, free port) that records what webhooks POST and answers as told: each
/// request takes the next scripted answer (a status code, or a delay before answering), then 200 once they run out.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(int Status, TimeSpan Delay)> _script = new();
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();

    private WebhookReceiver(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    public IReadOnlyList<ReceivedWebhook> Received => _received.ToList();

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetService(typeof(IServer)) is IServer server
            ? server.Features.Get<IServerAddressesFeature>()!.Addresses.First()
            : throw new InvalidOperationException("no server");
        receiver.Url = address.TrimEnd('/') + "/hooks/portal";
        return receiver;
    }

    /// <summary>The next requests get these status codes, in order.</summary>
    public void AnswerWith(params int[] statuses)
    {
        foreach (var status in statuses)
            _script.Enqueue((status, TimeSpan.Zero));
    }

    /// <summary>The next request is answered 200 only after <paramref name="delay"/> (to make the sender time out).</summary>
    public void AnswerSlowly(TimeSpan delay) => _script.Enqueue((200, delay));

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        _received.Enqueue(new ReceivedWebhook(DateTimeOffset.UtcNow, context.Request.Path + context.Request.QueryString, headers, body.ToArray()));
        var (status, delay) = _script.TryDequeue(out var next) ? next : (200, TimeSpan.Zero);
        if (delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        context.Response.StatusCode = status;
        await context.Response.WriteAsync(status < 300 ? "ok" : "receiver says no", context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
