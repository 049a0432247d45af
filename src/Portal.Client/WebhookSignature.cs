using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Portal.Client;

/// <summary>
/// How the portal signs webhook requests, for receivers to check them: <c>X-Portal-Signature: sha256=HEX</c> where
/// HEX is the HMAC-SHA256 of <c>{X-Portal-Timestamp}.{body}</c> keyed with the webhook's secret. The timestamp is
/// signed so a captured request cannot be replayed later; receivers should refuse old timestamps.
/// </summary>
public static class WebhookSignature
{
    public const string SignatureHeader = "X-Portal-Signature";
    public const string TimestampHeader = "X-Portal-Timestamp";
    public const string EventHeader = "X-Portal-Event";
    public const string DeliveryHeader = "X-Portal-Delivery";

    public static string Compute(string secret, long timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var prefix = Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }

    /// <summary>
    /// True when <paramref name="signature"/> is the signature of <paramref name="body"/> at <paramref name="timestamp"/>
    /// and the timestamp is within <paramref name="tolerance"/> of <paramref name="now"/>. Compares in constant time.
    /// </summary>
    public static bool Verify(string secret, string? timestamp, string? signature, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        if (string.IsNullOrEmpty(signature) || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            return false;
        if ((now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > tolerance)
            return false;
        var expected = Encoding.ASCII.GetBytes(Compute(secret, seconds, body));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signature));
    }
}
