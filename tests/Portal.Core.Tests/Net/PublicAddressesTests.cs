using System.Net;
using CsCheck;
using Portal.TestCommon;
using Portal.Core.Net;

namespace Portal.Core.Tests.Net;

/// <summary>
/// The judge of outbound addresses: internal IPv4 and IPv6 ranges are refused, and so is an IPv6 address whose
/// embedded IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo) is internal.
/// </summary>
public sealed class PublicAddressesTests
{
    [Theory]
    // IPv4
    [InlineData("8.8.8.8", true)]
    [InlineData("93.184.216.34", true)]
    [InlineData("0.0.0.0", false)]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("172.16.0.9", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("192.0.0.8", false)]
    [InlineData("192.0.2.2", false)]
    [InlineData("192.88.99.1", false)]
    [InlineData("198.18.0.1", false)]
    [InlineData("198.51.100.7", false)]
    [InlineData("203.0.113.5", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("255.255.255.255", false)]
    // IPv6 ranges
    [InlineData("2606:2800:220:1:248:1893:25c8:1946", true)]
    [InlineData("2a00:1450:4001:82a::200e", true)]
    [InlineData("::", false)]
    [InlineData("::1", false)]
    [InlineData("fc00::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("febf::1", false)]
    [InlineData("fec0::1", false)]
    [InlineData("ff02::1", false)]
    [InlineData("ff0e::1", false)]
    [InlineData("100::1", false)]
    [InlineData("2001:db8::1", false)]
    [InlineData("2001:2::1", false)]
    [InlineData("2001:10::1", false)]
    [InlineData("3fff::1", false)]
    [InlineData("4000::1", false)]
    // IPv4 inside IPv6
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("::ffff:8.8.8.8", true)]
    [InlineData("::7f00:1", false)]
    [InlineData("::127.0.0.1", false)]
    [InlineData("::a9fe:a9fe", false)]
    [InlineData("::8.8.8.8", true)]
    [InlineData("::ffff:0:127.0.0.1", false)]
    [InlineData("64:ff9b::7f00:1", false)]
    [InlineData("64:ff9b::a00:1", false)]
    [InlineData("64:ff9b::808:808", true)]
    [InlineData("64:ff9b:1::7f00:1", false)]
    [InlineData("64:ff9b:1:7f00:1::", false)]
    [InlineData("64:ff9b:1:808:8:800::", false)] // local-use NAT64: where the IPv4 address sits is not known
    [InlineData("64:ff9b:1::808:808", false)]
    [InlineData("2002:7f00:1::", false)]
    [InlineData("2002:a9fe:a9fe::1", false)]
    [InlineData("2002:c0a8:101::1", false)]
    [InlineData("2002:808:808::1", true)]
    [InlineData("2001:0:4136:e378:8000:63bf:80ff:fffe", false)] // Teredo: client 127.0.0.1
    [InlineData("2001:0:a00:1:8000:63bf:f7f7:f7f7", false)] // Teredo: server 10.0.0.1
    [InlineData("2001:0:4136:e378:8000:63bf:f7f7:f7f7", true)] // Teredo: server 65.54.227.120, client 8.8.8.8
    public void Judges_addresses_and_the_ipv4_address_inside_ipv6_ones(string address, bool expected) =>
        Assert.Equal(expected, PublicAddresses.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("[::7f00:1]")]
    [InlineData("[64:ff9b::7f00:1]")]
    [InlineData("[2002:7f00:1::]")]
    [InlineData("[::ffff:7f00:1]")]
    [InlineData("localhost")]
    public void Address_literals_that_lead_inside_are_plainly_private(string host) =>
        Assert.True(PublicAddresses.IsPlainlyPrivate(host));

    /// <summary>IPv4 addresses with the first octets of internal ranges over-represented.</summary>
    private static readonly Gen<byte[]> IPv4 =
        Gen.Select(Gen.OneOf(Gen.Byte, Gen.OneOf<byte>(0, 10, 100, 127, 169, 172, 192, 198, 203, 224, 255)), Gen.Byte.Array[3])
            .Select(t => (byte[])[t.Item1, .. t.Item2]);

    private static bool Judge(byte[] bytes) => PublicAddresses.IsPublic(new IPAddress(bytes));

    private static byte[] V6(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> v4, int at, byte[]? rest = null)
    {
        var bytes = rest is null ? new byte[16] : (byte[])rest.Clone();
        prefix.CopyTo(bytes);
        v4.CopyTo(bytes.AsSpan(at));
        return bytes;
    }

    [Fact]
    public void Every_ipv6_form_of_an_ipv4_address_gets_that_addresss_verdict() =>
        SeededProperty.Check(Gen.Select(IPv4, Gen.Byte.Array[16]), 20_000, input =>
        {
            var (v4, random) = input;
            var verdict = Judge(v4);
            Assert.Equal(verdict, Judge(V6([], v4, 12)));                                      // ::a.b.c.d
            Assert.Equal(verdict, Judge(V6([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF], v4, 12))); // ::ffff:a.b.c.d
            Assert.Equal(verdict, Judge(V6([0, 0x64, 0xFF, 0x9B], v4, 12)));                   // 64:ff9b::a.b.c.d
            Assert.Equal(verdict, Judge(V6([0x20, 0x02], v4, 2, random)));                      // 2002:a.b.c.d::/48
            byte[] inverted = [(byte)~v4[0], (byte)~v4[1], (byte)~v4[2], (byte)~v4[3]];
            Assert.Equal(verdict, Judge(V6([0x20, 0x01, 0, 0, 8, 8, 8, 8], inverted, 12, random))); // Teredo client, public server
            if (!verdict)
                Assert.False(Judge(V6([0x20, 0x01, 0, 0], v4, 4, random)));                    // Teredo server
            Assert.False(Judge(V6([0, 0x64, 0xFF, 0x9B, 0, 1], v4, 12, random)));             // local-use NAT64, any address
        });

    [Fact]
    public void Nothing_outside_global_unicast_is_public_unless_it_carries_a_public_ipv4_address() =>
        SeededProperty.Check(Gen.Byte.Array[16].Where(b => (b[0] & 0xE0) != 0x20), 20_000, bytes =>
        {
            var carriesIPv4 = bytes.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0
                || bytes.AsSpan(0, 10).IndexOfAnyExcept((byte)0) < 0 && bytes[10] == 0xFF && bytes[11] == 0xFF
                || bytes.AsSpan(0, 8).IndexOfAnyExcept((byte)0) < 0 && bytes[8] == 0xFF && bytes[9] == 0xFF && bytes[10] == 0 && bytes[11] == 0
                || bytes[0] == 0 && bytes[1] == 0x64 && bytes[2] == 0xFF && bytes[3] == 0x9B && bytes.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0;
            Assert.True(carriesIPv4 || !Judge(bytes), $"{new System.Net.IPAddress(bytes)} is judged public");
        });
}
