using System.Globalization;
using Portal.Client;
using Portal.Core.Features.Artifacts;

namespace Portal.Core.Features.Changes;

/// <summary>
/// The change feed's resume token: a record's position in the feed's fixed order, bound to the two versions so a token
/// cannot resume a different feed. Opaque to clients (URL-safe base64).
/// </summary>
public static class ChangeCursor
{
    public static string Encode(long sequence, Guid from, Guid to) =>
        ContinuationToken.Encode(string.Create(CultureInfo.InvariantCulture, $"{sequence}.{from.ToString("N")[..8]}.{to.ToString("N")[..8]}"));

    /// <summary>The position to resume after (0 without a token).</summary>
    public static long Decode(string? token, Guid from, Guid to)
    {
        var text = ContinuationToken.Decode(token);
        if (text is null)
            return 0;
        var parts = text.Split('.');
        if (parts.Length != 3 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            || parts[1] != from.ToString("N")[..8] || parts[2] != to.ToString("N")[..8])
            throw PortalException.BadRequest(ErrorCodes.ContinuationInvalid, "The continuation token belongs to another change feed; start again without it.");
        return sequence;
    }
}
