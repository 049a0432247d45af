using System.Text.Json;

namespace Portal.Core.Features.Validation;

/// <summary>
/// Licence metadata: the version's metadata names its licence as an SPDX identifier or expression
/// (<c>"license": "Apache-2.0"</c>, <c>"MIT OR CC-BY-4.0"</c>). The list holds the identifiers data and model
/// licences use in practice (a subset of the SPDX list); <c>LicenseRef-…</c> names a custom licence.
/// </summary>
public static class SpdxLicenses
{
    public static readonly IReadOnlySet<string> Known = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "0BSD", "AFL-3.0", "AGPL-3.0-only", "AGPL-3.0-or-later", "Apache-1.1", "Apache-2.0", "Artistic-2.0", "BSD-1-Clause",
        "BSD-2-Clause", "BSD-2-Clause-Patent", "BSD-3-Clause", "BSD-3-Clause-Clear", "BSD-4-Clause", "BSL-1.0", "CC0-1.0",
        "CC-BY-1.0", "CC-BY-2.0", "CC-BY-2.5", "CC-BY-3.0", "CC-BY-4.0", "CC-BY-NC-2.0", "CC-BY-NC-3.0", "CC-BY-NC-4.0",
        "CC-BY-NC-ND-3.0", "CC-BY-NC-ND-4.0", "CC-BY-NC-SA-2.0", "CC-BY-NC-SA-3.0", "CC-BY-NC-SA-4.0", "CC-BY-ND-3.0",
        "CC-BY-ND-4.0", "CC-BY-SA-2.0", "CC-BY-SA-3.0", "CC-BY-SA-4.0", "CC-PDDC", "CDDL-1.0", "CDDL-1.1", "CDLA-Permissive-1.0",
        "CDLA-Permissive-2.0", "CDLA-Sharing-1.0", "ECL-2.0", "EPL-1.0", "EPL-2.0", "EUPL-1.1", "EUPL-1.2", "GFDL-1.3-only",
        "GFDL-1.3-or-later", "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later", "ISC", "LGPL-2.1-only",
        "LGPL-2.1-or-later", "LGPL-3.0-only", "LGPL-3.0-or-later", "LPPL-1.3c", "MIT", "MIT-0", "MPL-1.1", "MPL-2.0", "MS-PL",
        "MS-RL", "NCSA", "ODbL-1.0", "ODC-By-1.0", "OFL-1.1", "OpenRAIL", "OPL-1.0", "OSL-3.0", "PDDL-1.0", "PostgreSQL",
        "PSF-2.0", "Python-2.0", "Unicode-DFS-2016", "Unlicense", "UPL-1.0", "W3C", "WTFPL", "X11", "Zlib", "ZPL-2.1",
        "C-UDA-1.0", "O-UDA-1.0", "CDLA-Permissive-1.0", "etalab-2.0", "DL-DE-BY-2.0", "OGL-UK-3.0", "NLOD-2.0", "GPL-2.0",
        "GPL-3.0", "LGPL-2.1", "LGPL-3.0", "AGPL-3.0", "Llama-2", "Llama-3", "Gemma", "OpenRAIL-M", "BigScience-OpenRAIL-M",
        "CreativeML-OpenRAIL-M", "BigScience-BLOOM-RAIL-1.0",
    };

    private static readonly string[] MetadataKeys = ["license", "licence", "spdx", "license_id", "spdx_id"];

    /// <summary>The licence named in the metadata (null when none), and whether it is a valid SPDX expression.</summary>
    /// <remarks>Metadata that is not a JSON object (or not JSON) names no licence.</remarks>
    public static (string? License, bool Valid) FromMetadata(string? metadataJson)
    {
        try
        {
            using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(metadataJson) ? "{}" : metadataJson);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                return (null, false);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (!MetadataKeys.Contains(property.Name, StringComparer.OrdinalIgnoreCase))
                    continue;
                var value = property.Value.ValueKind == JsonValueKind.String ? StringOrRaw(property.Value) : property.Value.GetRawText();
                return (value, IsValidExpression(value));
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            // Broken JSON, a string the reader cannot transcode (a lone surrogate escape), or text that is not UTF-16.
        }

        return (null, false);
    }

    /// <summary>The string, or as written when it cannot be unescaped (a lone surrogate escape): a licence to report either way.</summary>
    private static string StringOrRaw(JsonElement value)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return value.GetRawText().Trim('"');
        }
    }

    /// <summary>Identifiers joined by AND / OR / WITH, optional parentheses and a trailing <c>+</c>.</summary>
    public static bool IsValidExpression(string expression)
    {
        var tokens = expression.Replace("(", " ( ", StringComparison.Ordinal).Replace(")", " ) ", StringComparison.Ordinal)
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var expectId = true;
        var depth = 0;
        var afterWith = false;
        foreach (var token in tokens)
        {
            if (token == "(")
            {
                if (!expectId)
                    return false;
                depth++;
            }
            else if (token == ")")
            {
                if (expectId || --depth < 0)
                    return false;
            }
            else if (token is "AND" or "OR" or "WITH")
            {
                if (expectId)
                    return false;
                expectId = true;
                afterWith = token == "WITH";
            }
            else
            {
                if (!expectId)
                    return false;
                // An exception after WITH (e.g. Classpath-exception-2.0) is any well-formed name.
                var id = token.TrimEnd('+');
                if (!afterWith && !Known.Contains(id) && !id.StartsWith("LicenseRef-", StringComparison.Ordinal) && !id.StartsWith("DocumentRef-", StringComparison.Ordinal))
                    return false;
                expectId = false;
                afterWith = false;
            }
        }

        return !expectId && depth == 0 && tokens.Length > 0;
    }
}
