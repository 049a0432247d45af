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

    /// <summary>
    /// False for loopback, private (RFC 1918, unique-local), link-local, CGNAT, unspecified, documentation, benchmarking,
    /// multicast and reserved addresses. An IPv6 address that carries an IPv4 address (IPv4-mapped, IPv4-compatible,
    /// NAT64, 6to4, Teredo) is judged by the IPv4 address it leads to, since that is where a packet ends up.
    /// </summary>
    public static bool IsPublic(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var length))
            return false;
        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork when length == 4 => IsPublicIPv4(bytes[..4]),
            AddressFamily.InterNetworkV6 when length == 16 => IsPublicIPv6(bytes),
            _ => false,
        };
    }

    private static bool IsPublicIPv4(ReadOnlySpan<byte> b) =>
        !(b[0] == 0 || b[0] == 10 || b[0] == 127 || (b[0] == 100 && b[1] >= 64 && b[1] < 128) || (b[0] == 169 && b[1] == 254)
            || (b[0] == 172 && b[1] >= 16 && b[1] < 32) || (b[0] == 192 && b[1] == 168) || (b[0] == 192 && b[1] == 0 && (b[2] == 0 || b[2] == 2))
            || (b[0] == 192 && b[1] == 88 && b[2] == 99) || (b[0] == 198 && (b[1] == 18 || b[1] == 19)) || (b[0] == 198 && b[1] == 51 && b[2] == 100)
            || (b[0] == 203 && b[1] == 0 && b[2] == 113) || b[0] >= 224);

    private static bool IsPublicIPv6(ReadOnlySpan<byte> b)
    {
        var embedded = EmbeddedIPv4(b);
        if (embedded.Count > 0)
        {
            foreach (var v4 in embedded)
            {
                if (!IsPublicIPv4(v4))
                    return false;
            }
            return true;
        }

        // Only global unicast (2000::/3) is handed out for use on the internet; everything else (unspecified, loopback,
        // unique-local fc00::/7, link-local fe80::/10, site-local fec0::/10, multicast ff00::/8, discard 100::/64, the
        // local-use NAT64 prefix 64:ff9b:1::/48 …) is not. Within it: the IETF protocol assignments 2001::/23
        // (benchmarking, ORCHID …; Teredo is decoded above) and the documentation prefixes 2001:db8::/32 and 3fff::/20.
        return (b[0] & 0xE0) == 0x20
            && !(b[0] == 0x20 && b[1] == 0x01 && b[2] < 0x02)
            && !(b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8)
            && !(b[0] == 0x3F && b[1] == 0xFF && (b[2] & 0xF0) == 0);
    }

    /// <summary>
    /// The IPv4 addresses an IPv6 address leads to, when it is one of the forms that carry one at a fixed place; empty
    /// otherwise. The local-use NAT64 prefix 64:ff9b:1::/48 (RFC 8215) is not among them: where its IPv4 address sits
    /// depends on the operator's prefix length, which the address does not tell, and the range is for a network's
    /// own translators anyway, so it stays outside global unicast and is refused.
    /// </summary>
    internal static List<byte[]> EmbeddedIPv4(ReadOnlySpan<byte> b)
    {
        var found = new List<byte[]>();
        var upperZero = b[..8].IndexOfAnyExcept((byte)0) < 0;
        // ::a.b.c.d (IPv4-compatible; also :: and ::1, which land in 0.0.0.0/8), ::ffff:a.b.c.d (IPv4-mapped) and
        // ::ffff:0:a.b.c.d (IPv4-translated).
        if (upperZero && ((b[8] | b[9] | b[10] | b[11]) == 0
                || (b[8] == 0 && b[9] == 0 && b[10] == 0xFF && b[11] == 0xFF)
                || (b[8] == 0xFF && b[9] == 0xFF && b[10] == 0 && b[11] == 0)))
        {
            found.Add(b[12..].ToArray());
        }
        // NAT64, well-known prefix 64:ff9b::/96.
        else if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && b[4..12].IndexOfAnyExcept((byte)0) < 0)
        {
            found.Add(b[12..].ToArray());
        }
        // 6to4 2002::/16: the IPv4 address in bits 16–47.
        else if (b[0] == 0x20 && b[1] == 0x02)
        {
            found.Add(b[2..6].ToArray());
        }
        // Teredo 2001::/32: the server in bits 32–63, the client in the last 32 bits, inverted.
        else if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)
        {
            found.Add(b[4..8].ToArray());
            found.Add([(byte)~b[12], (byte)~b[13], (byte)~b[14], (byte)~b[15]]);
        }
        return found;
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
