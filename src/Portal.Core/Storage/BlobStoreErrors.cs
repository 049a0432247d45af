using Portal.Client;

namespace Portal.Core.Storage;

/// <summary>The errors every <see cref="IBlobStore"/> reports the same way, whatever it stores on.</summary>
internal static class BlobStoreErrors
{
    /// <summary>Object name of a blob in a cloud store: the file-system layout <c>sha256/ab/cd/&lt;64 hex&gt;</c>.</summary>
    public static string BlobKey(string digest)
    {
        ContentDigest.Validate(digest);
        return $"sha256/{digest[..2]}/{digest[2..4]}/{digest}";
    }

    public static PortalException DigestMismatch(string expected, string actual, long size) =>
        new(
            422,
            ErrorCodes.DigestMismatch,
            $"Content does not match its digest: expected sha256:{expected} but the {size:N0} bytes received hash to sha256:{actual}. Nothing was stored.",
            new Dictionary<string, object?> { ["expected"] = expected, ["actual"] = actual, ["size"] = size });

    public static PortalException TooLarge(long maxSize) =>
        new(413, ErrorCodes.BlobTooLarge, $"The blob is larger than the limit of {maxSize:N0} bytes; nothing was stored.",
            new Dictionary<string, object?> { ["maxSize"] = maxSize });

    public static PortalException NotFound(string digest) =>
        PortalException.NotFound(ErrorCodes.BlobNotFound, $"Blob sha256:{digest} is not stored.");

    public static void RejectKnownOversize(Stream content, long? maxSize)
    {
        if (maxSize is { } max && content.CanSeek && content.Length - content.Position > max)
            throw TooLarge(max);
    }
}
