using System.Security.Cryptography;
using Portal.Client;

namespace Portal.Core.Storage;

/// <summary>
/// The one digest format of the portal: SHA-256 as 64 lower-case hex characters. Upper case is rejected rather than
/// folded so that a digest has exactly one spelling (it is a primary key and a file name).
/// </summary>
public static class ContentDigest
{
    public const int HexLength = 64;

    public static bool IsValid(string? digest)
    {
        if (digest is null || digest.Length != HexLength)
            return false;
        foreach (var c in digest)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
                return false;
        }
        return true;
    }

    /// <summary>Throws 400 <c>digest_invalid</c> unless <paramref name="digest"/> is 64 lower-case hex characters.</summary>
    public static void Validate(string? digest)
    {
        if (!IsValid(digest))
        {
            throw PortalException.BadRequest(
                ErrorCodes.DigestInvalid,
                $"Digest \"{Shorten(digest)}\" is invalid: expected a SHA-256 digest as 64 lower-case hex characters.",
                new Dictionary<string, object?> { ["digest"] = digest });
        }
    }

    public static string ToHex(ReadOnlySpan<byte> hash) => Convert.ToHexStringLower(hash);

    public static string Of(ReadOnlySpan<byte> content) => ToHex(SHA256.HashData(content));

    public static async Task<string> OfAsync(Stream content, CancellationToken cancellationToken = default) =>
        ToHex(await SHA256.HashDataAsync(content, cancellationToken));

    // The digest ends up in a message; a megabyte of garbage should not.
    private static string Shorten(string? value) =>
        value is null ? "" : value.Length <= 100 ? value : string.Concat(value.AsSpan(0, 100), "…");
}
