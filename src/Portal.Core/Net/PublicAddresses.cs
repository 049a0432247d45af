using System.Net;
using System.Net.Http;
using System.Net.Sockets;

namespace Portal.Core.Net;

/// <summary>
/// The guard on every outbound connection the portal makes on a user's behalf (reference fetches, webhooks): the host is
/// resolved here and only public addresses are connected to, so a name that resolves to an internal address, or a
/// redirect to one, cannot reach the portal's own network.
/// </summary>
public static class PublicAddresses
{
    /// <summary>
    /// A <see cref="SocketsHttpHandler.ConnectCallback"/>: connects to the first reachable public address of the host.
    /// Throws <see cref="NonPublicAddressException"/> when the host has addresses but none is public.
    /// </summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, bool allowPrivate, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        var usable = allowPrivate ? addresses : addresses.Where(IsPublic).ToArray();
        if (usable.Length == 0)
        {
            throw addresses.Length == 0
                ? new HttpRequestException($"the host {host} has no address")
                : new NonPublicAddressException(host);
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(usable, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A handler for outbound calls to user-given addresses: redirects are not followed, connections go through <see cref="ConnectAsync"/>.</summary>
    public static SocketsHttpHandler Handler(bool allowPrivate, TimeSpan connectTimeout) => new()
    {
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = connectTimeout,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        UseProxy = false,
        ConnectCallback = (context, ct) => ConnectAsync(context, allowPrivate, ct),
    };

    /// <summary>False for loopback, private (RFC 1918, unique-local), link-local, CGNAT, unspecified, documentation, benchmarking, multicast and reserved addresses.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address))
            return false;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 0 || b[0] == 10 || b[0] == 127 || (b[0] == 100 && b[1] >= 64 && b[1] < 128) || (b[0] == 169 && b[1] == 254)
                || (b[0] == 172 && b[1] >= 16 && b[1] < 32) || (b[0] == 192 && b[1] == 168) || (b[0] == 192 && b[1] == 0 && (b[2] == 0 || b[2] == 2))
                || (b[0] == 198 && (b[1] == 18 || b[1] == 19)) || (b[0] == 198 && b[1] == 51 && b[2] == 100) || (b[0] == 203 && b[1] == 0 && b[2] == 113)
                || b[0] >= 224);
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var b = address.GetAddressBytes();
            return !(address.Equals(IPAddress.IPv6None) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
                || (b[0] & 0xFE) == 0xFC || address.IsIPv6Teredo || address.IsIPv6UniqueLocal);
        }
        return false;
    }

    /// <summary>True when <paramref name="host"/> is an address literal or a name that is never public (localhost).</summary>
    public static bool IsPlainlyPrivate(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && !IsPublic(address));
}

/// <summary>The host resolved only to loopback, private or otherwise non-public addresses.</summary>
public sealed class NonPublicAddressException(string host)
    : HttpRequestException($"{host} resolves to a loopback, private or otherwise non-public address")
{
    public string Host { get; } = host;

    /// <summary>The refusal in <paramref name="exception"/> or among its inner exceptions (HttpClient wraps what a connect callback throws).</summary>
    public static NonPublicAddressException? FindIn(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is NonPublicAddressException refused)
                return refused;
        }
        return null;
    }
}
