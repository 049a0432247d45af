using System.Net;
using System.Net.Sockets;

namespace Portal.Cli.Tests;

/// <summary>
/// A TCP proxy in front of the test portal that passes bytes at a fixed rate in each direction, so a transfer of a few
/// megabytes takes seconds and a signal can land in the middle of it. It counts what went each way.
/// </summary>
public sealed class ThrottlingProxy : IAsyncDisposable
{
    private const int Chunk = 16 * 1024;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri _target;
    private readonly int _bytesPerSecond;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private long _up;
    private long _down;

    public ThrottlingProxy(string targetUrl, int bytesPerSecond)
    {
        _target = new Uri(targetUrl);
        _bytesPerSecond = bytesPerSecond;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Bytes passed from the CLI to the portal.</summary>
    public long BytesUp => Interlocked.Read(ref _up);

    /// <summary>Bytes passed from the portal to the CLI.</summary>
    public long BytesDown => Interlocked.Read(ref _down);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(_target.Host, _target.Port, _stop.Token);
                using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                var up = PumpAsync(client.GetStream(), server.GetStream(), n => Interlocked.Add(ref _up, n), done.Token);
                var down = PumpAsync(server.GetStream(), client.GetStream(), n => Interlocked.Add(ref _down, n), done.Token);
                await Task.WhenAny(up, down);
                await done.CancelAsync();
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // One side went away: so does the other.
            }
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, Action<long> count, CancellationToken ct)
    {
        var buffer = new byte[Chunk];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, ct)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, read), ct);
                count(read);
                await Task.Delay(TimeSpan.FromSeconds((double)read / _bytesPerSecond), ct);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection ended.
        }
    }
}
