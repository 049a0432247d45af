namespace Portal.Client.Models;

/// <summary>Opens (or resumes) an upload of one large blob in parts.</summary>
/// <param name="Digest">SHA-256 of the whole blob, lower-case hex.</param>
/// <param name="Size">Bytes of the whole blob.</param>
/// <param name="Project">The project the blob is for (Contributor there); without one it is the uploader's own.</param>
public sealed record StartUploadSessionRequest(string Digest, long Size, string? Project = null);

/// <summary>
/// An upload session: send parts 1..<see cref="PartCount"/> (each <see cref="PartSize"/> bytes, the last one the rest)
/// with <c>PUT …/parts/{number}</c> in any order and in parallel, then complete it. <see cref="Parts"/> lists what the
/// server holds already, so an interrupted upload sends only the rest. When <see cref="AlreadyStored"/> is true the
/// caller holds the blob already and there is nothing to send (<see cref="Id"/> is null). With
/// <see cref="PartUrls"/> (the portal's <c>Storage:DirectPartUploads</c>) parts may instead be <c>PUT</c> straight to the
/// object store, without the portal's token.
/// </summary>
public sealed record UploadSessionResponse(
    Guid? Id,
    string Digest,
    long Size,
    long PartSize,
    int PartCount,
    DateTimeOffset? ExpiresAt,
    IReadOnlyList<UploadPartResponse> Parts,
    bool AlreadyStored,
    IReadOnlyList<PartUploadUrl>? PartUrls = null);

/// <summary>A part of an upload session that the server has received.</summary>
/// <param name="Number">From 1.</param>
/// <param name="Sha256">SHA-256 of the part's bytes as verified by the portal; null for a part sent straight to the
/// object store, which the portal verifies only as part of the whole.</param>
public sealed record UploadPartResponse(int Number, long Size, string? Sha256);

/// <summary>Where part <see cref="Number"/> may be sent directly (a plain <c>PUT</c> of its bytes) until <see cref="ExpiresAt"/>.</summary>
public sealed record PartUploadUrl(int Number, Uri Url, DateTimeOffset ExpiresAt);

/// <summary>Headers of the upload-session protocol.</summary>
public static class UploadSessionHeaders
{
    /// <summary>Request header of a part upload: the SHA-256 of the part's bytes, lower-case hex.</summary>
    public const string PartSha256 = "X-Part-Sha256";
}
