using System.Buffers.Text;
using System.Text;
using Portal.Client;

namespace Portal.Core.Features.Artifacts;

/// <summary>Opaque page tokens: the path to resume at, URL-safe base64 so any path survives a query string.</summary>
public static class ContinuationToken
{
    public static string Encode(string key) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(key));

    public static string? Decode(string? token)
    {
        if (string.IsNullOrEmpty(token))
            return null;
        try
        {
            return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
        }
        catch (FormatException)
        {
            throw PortalException.BadRequest(ErrorCodes.ContinuationInvalid, "The continuation token is not one this API gave out; start again without it.");
        }
    }
}
