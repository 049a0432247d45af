using Portal.Client;
using Portal.Client.Manifests;

namespace Portal.Core.Features.Artifacts.Manifests;

/// <summary>
/// The path rules of a manifest entry (<see cref="ManifestPathRules"/>, shared with the clients). A path that breaks
/// one is rejected, never normalised: silently rewriting paths would make two different uploads produce the same
/// manifest, or one upload produce a path its author never wrote.
/// </summary>
public static class ManifestPath
{
    public const int MaxUtf8Bytes = ManifestPathRules.MaxUtf8Bytes;

    /// <summary>True when <paramref name="path"/> satisfies every rule.</summary>
    public static bool IsValid(string? path) => ManifestPathRules.FindViolation(path) is null;

    /// <summary>
    /// Throws 400 <c>path_invalid</c> naming the path and the rule it breaks. Extensions: <c>path</c> (as given) and
    /// <c>rule</c> (a stable short name of the rule).
    /// </summary>
    public static void Validate(string? path)
    {
        if (ManifestPathRules.FindViolation(path) is { } violation)
        {
            throw PortalException.BadRequest(
                ErrorCodes.PathInvalid,
                $"Path {Display(path)} is invalid: {violation.Message}.",
                new Dictionary<string, object?> { ["path"] = path, ["rule"] = violation.Rule });
        }
    }

    /// <summary>The path as a quoted string with backslashes, quotes and control characters escaped, so that what is
    /// wrong with it is visible in a message.</summary>
    public static string Display(string? path) => ManifestPathRules.Display(path);
}
