using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Portal.Client;

namespace Portal.Core.Features.Runs;

/// <summary>The rules for a run's config and summary documents: JSON objects of at most 1 MB, merged by top-level key.</summary>
public static class RunJson
{
    public const int MaxBytes = 1024 * 1024;

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    /// <summary>The document's text, or a 400 naming the field when it is not an object or is too large.</summary>
    public static string ObjectText(JsonElement? value, string field)
    {
        if (value is not { } element || element.ValueKind == JsonValueKind.Null)
            return "{}";
        var text = RequireObject(element, field).GetRawText();
        CheckSize(text, field);
        return text;
    }

    /// <summary>
    /// Applies <paramref name="patch"/> to the stored object: each top-level key replaces the stored one, a null removes
    /// it. Replacing rather than deep-merging keeps the result predictable: what a client sends for a key is what is stored.
    /// </summary>
    public static string Merge(string stored, JsonElement patch, string field)
    {
        RequireObject(patch, field);
        var target = JsonNode.Parse(stored) as JsonObject ?? [];
        foreach (var property in patch.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Null)
                target.Remove(property.Name);
            else
                target[property.Name] = JsonNode.Parse(property.Value.GetRawText());
        }

        var text = target.ToJsonString();
        CheckSize(text, field);
        return text;
    }

    /// <summary>Sets <paramref name="values"/> as top-level numbers of the stored object (the summary's last metric values).</summary>
    public static string SetNumbers(string stored, IEnumerable<KeyValuePair<string, double>> values, string field)
    {
        var target = JsonNode.Parse(stored) as JsonObject ?? [];
        foreach (var (key, value) in values)
            target[key] = value;
        var text = target.ToJsonString();
        CheckSize(text, field);
        return text;
    }

    public static JsonElement Parse(string text) =>
        string.IsNullOrEmpty(text) ? EmptyObject : JsonDocument.Parse(text).RootElement.Clone();

    private static JsonElement RequireObject(JsonElement element, string field)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw PortalException.BadRequest(ErrorCodes.RunInvalid,
                $"The run's {field} must be a JSON object such as {{\"lr\": 0.001}}; got a JSON {element.ValueKind.ToString().ToLowerInvariant()}.");
        }

        return element;
    }

    private static void CheckSize(string text, string field)
    {
        var bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes > MaxBytes)
        {
            throw PortalException.BadRequest(ErrorCodes.RunInvalid,
                $"The run's {field} is {bytes:N0} bytes; at most {MaxBytes:N0} (1 MB) is kept. Log large data as an artifact instead.");
        }
    }
}
