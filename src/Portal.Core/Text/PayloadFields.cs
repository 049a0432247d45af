using System.Text.Json;

namespace Portal.Core.Text;

/// <summary>
/// The members of a recorded JSON object (an event's payload, an audit row's before/after state), read once for the
/// pages that describe them. A payload that is not a JSON object reads as empty: a row the page cannot read still
/// appears, with less detail.
/// </summary>
public readonly struct PayloadFields
{
    private readonly JsonElement _root;

    private PayloadFields(JsonElement root) => _root = root;

    public static PayloadFields Parse(string? json)
    {
        if (string.IsNullOrEmpty(json))
            return default;
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object ? new PayloadFields(document.RootElement.Clone()) : default;
        }
        catch (JsonException)
        {
            return default;
        }
    }

    /// <summary>The string member <paramref name="name"/>, or "" when it is missing or not a string.</summary>
    public string String(string name) =>
        Member(name) is { ValueKind: JsonValueKind.String } value ? value.GetString() ?? "" : "";

    /// <summary>The string member <paramref name="inner"/> of the object member <paramref name="outer"/>, or "".</summary>
    public string Nested(string outer, string inner) =>
        Member(outer) is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(inner, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString() ?? "" : "";

    /// <summary>The integer member <paramref name="name"/>, or null when it is missing or not an integer.</summary>
    public long? Integer(string name) =>
        Member(name) is { ValueKind: JsonValueKind.Number } value && value.TryGetInt64(out var number) ? number : null;

    private JsonElement? Member(string name) =>
        _root.ValueKind == JsonValueKind.Object && _root.TryGetProperty(name, out var value) ? value : null;
}
