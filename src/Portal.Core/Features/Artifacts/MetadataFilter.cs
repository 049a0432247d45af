using System.Globalization;
using System.Text.Json;
using Portal.Client;

namespace Portal.Core.Features.Artifacts;

/// <summary>
/// <c>key=value</c> against a version's metadata JSON: <c>key</c> may name a nested field with dots
/// (<c>source.team=search</c>); strings compare exactly, numbers by value, booleans as <c>true</c>/<c>false</c>,
/// <c>null</c> matches a null field.
/// </summary>
public sealed record MetadataFilter(IReadOnlyList<string> Path, string Value)
{
    public static MetadataFilter? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        var key = equals < 0 ? "" : text[..equals].Trim();
        if (key.Length == 0 || key.Split('.').Any(p => p.Length == 0))
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, $"A metadata filter is key=value (for example dataset.split=train); '{text}' is not.");
        return new MetadataFilter(key.Split('.'), text[(equals + 1)..].Trim());
    }

    /// <summary>The last key, as it must appear (quoted) in the JSON text; used to narrow rows in SQL before <see cref="Matches"/>.</summary>
    public string QuotedLeafKey => JsonSerializer.Serialize(Path[^1]);

    public bool Matches(string metadataJson)
    {
        try
        {
            using var document = JsonDocument.Parse(metadataJson);
            var element = document.RootElement;
            foreach (var key in Path)
            {
                if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(key, out element))
                    return false;
            }

            return element.ValueKind switch
            {
                JsonValueKind.String => element.GetString() == Value,
                JsonValueKind.Number => double.TryParse(Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                                        && element.TryGetDouble(out var actual) && actual.Equals(number),
                JsonValueKind.True => Value == "true",
                JsonValueKind.False => Value == "false",
                JsonValueKind.Null => Value == "null",
                _ => element.GetRawText() == Value,
            };
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
