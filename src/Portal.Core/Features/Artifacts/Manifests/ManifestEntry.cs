using Portal.Client;
using Portal.Core.Storage;

namespace Portal.Core.Features.Artifacts.Manifests;

/// <summary>One file of a manifest.</summary>
/// <param name="Path">Relative path; see <see cref="ManifestPath"/> for the rules.</param>
/// <param name="Digest">SHA-256 of the file's bytes, 64 lower-case hex characters.</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="Ref">
/// An absolute URI when the bytes live elsewhere (<c>s3://…</c>, <c>https://…</c>) and are not copied into the blob
/// store; null for stored files.
/// </param>
/// <param name="ExtraJson">
/// Optional JSON object carried with the entry. It is not part of the canonical line, so it does not change range or
/// manifest digests.
/// </param>
public sealed record ManifestEntry(string Path, string Digest, long Size, string? Ref = null, string? ExtraJson = null)
{
    // Matches the RangeEntries column.
    public const int MaxRefLength = 2048;

    /// <summary>
    /// Throws 400 with <c>path_invalid</c>, <c>digest_invalid</c>, <c>size_invalid</c> or <c>ref_invalid</c> when the
    /// entry cannot be part of a manifest.
    /// </summary>
    public void Validate()
    {
        ManifestPath.Validate(Path);
        if (!ContentDigest.IsValid(Digest))
        {
            throw PortalException.BadRequest(
                ErrorCodes.DigestInvalid,
                $"Entry {ManifestPath.Display(Path)} has an invalid digest \"{Truncate(Digest)}\": expected a SHA-256 digest as 64 lower-case hex characters.",
                new Dictionary<string, object?> { ["path"] = Path, ["digest"] = Digest });
        }
        if (Size < 0)
        {
            throw PortalException.BadRequest(
                ErrorCodes.SizeInvalid,
                $"Entry {ManifestPath.Display(Path)} has a negative size ({Size}).",
                new Dictionary<string, object?> { ["path"] = Path, ["size"] = Size });
        }
        if (Ref is not null && RefProblem(Ref) is { } problem)
        {
            throw PortalException.BadRequest(
                ErrorCodes.RefInvalid,
                $"Entry {ManifestPath.Display(Path)} has an invalid ref \"{Truncate(Ref)}\": {problem}.",
                new Dictionary<string, object?> { ["path"] = Path, ["ref"] = Ref });
        }
    }

    private static string? RefProblem(string reference)
    {
        if (reference.Length > MaxRefLength)
            return $"it is longer than {MaxRefLength:N0} characters";
        // Whitespace and controls are never valid in a URI, and tab/newline would break the canonical line.
        foreach (var c in reference)
        {
            if (c <= ' ' || c is >= '\u007F' and <= '\u009F')
                return "it contains whitespace or a control character";
        }
        // Uri.TryCreate alone is not enough: on Unix it accepts "/etc/passwd" as an absolute file URI.
        if (!HasScheme(reference) || !Uri.TryCreate(reference, UriKind.Absolute, out _))
            return "it must be an absolute URI with a scheme, such as s3://bucket/key or https://host/path";
        return null;
    }

    // RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"
    private static bool HasScheme(string reference)
    {
        var colon = reference.IndexOf(':', StringComparison.Ordinal);
        if (colon < 1 || !char.IsAsciiLetter(reference[0]))
            return false;
        for (var i = 1; i < colon; i++)
        {
            var c = reference[i];
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '-' or '.'))
                return false;
        }
        return true;
    }

    private static string Truncate(string value) =>
        value.Length <= 100 ? value : string.Concat(value.AsSpan(0, 100), "…");
}
