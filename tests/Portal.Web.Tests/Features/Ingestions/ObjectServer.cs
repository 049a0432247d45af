using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Portal.Web.Tests.Features.Ingestions;

/// <summary>A real HTTP server on 127.0.0.1 (Kestrel, free port) serving objects by path, and redirects, for reference ingestion.</summary>
public sealed class ObjectServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Dictionary<string, byte[]> _objects = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _redirects = new(StringComparer.Ordinal);

    private ObjectServer(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";

    public int Requests { get; private set; }

    public static async Task<ObjectServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new ObjectServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetService(typeof(IServer)) is IServer s
            ? s.Features.Get<IServerAddressesFeature>()!.Addresses.First()
            : throw new InvalidOperationException("no server");
        server.BaseUrl = address.TrimEnd('/');
        return server;
    }

    public string Serve(string path, byte[] content)
    {
        lock (_objects)
            _objects[path] = content;
        return BaseUrl + path;
    }

    public string Redirect(string path, string location)
    {
        lock (_objects)
            _redirects[path] = location;
        return BaseUrl + path;
    }

    private async Task HandleAsync(HttpContext context)
    {
        byte[]? content;
        string? location;
        lock (_objects)
        {
            Requests++;
            _objects.TryGetValue(context.Request.Path.Value ?? "", out content);
            _redirects.TryGetValue(context.Request.Path.Value ?? "", out location);
        }
        if (location is not null)
        {
            context.Response.StatusCode = 302;
            context.Response.Headers.Location = location;
            return;
        }
        if (content is null)
        {
            context.Response.StatusCode = 404;
            return;
        }
        context.Response.ContentLength = content.Length;
        await context.Response.Body.WriteAsync(content);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
