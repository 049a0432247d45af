using System.Text.RegularExpressions;
using Portal.Client;
using Portal.Core.Storage;

namespace Portal.Core.Features.Artifacts;

/// <summary>The naming rules for artifacts, their types and aliases (DESIGN, "Domain").</summary>
public static partial class ArtifactNames
{
    /// <summary>The alias every commit moves; it cannot be set or removed by hand.</summary>
    public const string Latest = "latest";

    [GeneratedRegex("^[A-Za-z0-9._-]{1,128}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[a-z][a-z0-9_]{0,63}$")]
    private static partial Regex TypePattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,127}$")]
    private static partial Regex AliasPattern();

    [GeneratedRegex("^v[0-9]+$")]
    private static partial Regex IndexPattern();

    public static void ValidateName(string? name)
    {
        if (name is null || !NamePattern().IsMatch(name))
        {
            throw PortalException.BadRequest(
                ErrorCodes.ArtifactNameInvalid,
                $"Artifact name \"{Shorten(name)}\" is invalid: use 1 to 128 letters, digits, '.', '_' or '-'.",
                new Dictionary<string, object?> { ["name"] = name });
        }
    }

    public static void ValidateType(string? type)
    {
        if (type is null || !TypePattern().IsMatch(type))
        {
            throw PortalException.BadRequest(
                ErrorCodes.ArtifactTypeInvalid,
                $"Artifact type \"{Shorten(type)}\" is invalid: use one lower-case word (a letter, then up to 63 letters, digits or '_'), such as dataset, documents or model.",
                new Dictionary<string, object?> { ["type"] = type });
        }
    }

    /// <summary>
    /// Checks a custom alias: the pattern, and not a name that version references already use (<c>latest</c>,
    /// <c>vN</c>, a version id or a manifest digest), so a reference always means one thing.
    /// </summary>
    public static void ValidateCustomAlias(string? alias)
    {
        if (alias is null || !AliasPattern().IsMatch(alias))
        {
            throw PortalException.BadRequest(
                ErrorCodes.AliasInvalid,
                $"Alias \"{Shorten(alias)}\" is invalid: use 1 to 128 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit.",
                new Dictionary<string, object?> { ["alias"] = alias });
        }
        if (alias == Latest || IndexPattern().IsMatch(alias) || Guid.TryParseExact(alias, "D", out _) || ContentDigest.IsValid(alias))
        {
            throw PortalException.BadRequest(
                ErrorCodes.AliasReserved,
                $"Alias \"{alias}\" is reserved: 'latest' moves on every commit, and 'vN', version ids and digests already name versions.",
                new Dictionary<string, object?> { ["alias"] = alias });
        }
    }

    /// <summary>Parses <c>vN</c>; null when <paramref name="reference"/> is not of that form.</summary>
    public static int? ParseIndex(string reference) =>
        IndexPattern().IsMatch(reference) && int.TryParse(reference.AsSpan(1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index)
            ? index
            : null;

    public static string FormatIndex(int index) => "v" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Shorten(string? value) =>
        value is null ? "" : value.Length <= 140 ? value : string.Concat(value.AsSpan(0, 140), "…");
}
