using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Cli;

internal static class CliJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// Builds a JSON object from <c>k=v</c> pairs and <c>@file.json</c> objects (later ones win). A value that parses
    /// as JSON (<c>lr=0.1</c>, <c>tags=["a"]</c>) keeps its type; anything else is a string.
    /// </summary>
    public static JsonElement? ParseKeyValues(IReadOnlyList<string>? items, string optionName)
    {
        if (items is null || items.Count == 0)
            return null;
        var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (item.StartsWith('@'))
            {
                var file = item[1..];
                JsonElement parsed;
                try
                {
                    using var stream = File.OpenRead(file);
                    parsed = JsonSerializer.Deserialize<JsonElement>(stream);
                }
                catch (JsonException ex)
                {
                    throw CliException.Usage($"{optionName} {item}: the file is not valid JSON ({ex.Message}).");
                }

                if (parsed.ValueKind != JsonValueKind.Object)
                    throw CliException.Usage($"{optionName} {item}: the file must hold a JSON object.");
                foreach (var property in parsed.EnumerateObject())
                    result[property.Name] = property.Value.Clone();
                continue;
            }

            var equals = item.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
                throw CliException.Usage($"{optionName} \"{item}\": expected key=value or @file.json.");
            result[item[..equals]] = ParseValue(item[(equals + 1)..]);
        }

        return JsonSerializer.SerializeToElement(result);
    }

    public static JsonElement ParseValue(string value)
    {
        try
        {
            return JsonSerializer.Deserialize<JsonElement>(value);
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(value);
        }
    }
}
