using System.Text.Json;

namespace Portal.Core.Features.Auditing;

/// <summary>One field of an audited change: its path (<c>policy.requiredApprovals</c>) and the value before and after, as text.</summary>
public sealed record AuditChange(string Key, string? Old, string? New);

/// <summary>
/// Turns a record's stored before/after JSON into a key / old / new list for people to read. Nested objects flatten to
/// dotted keys, arrays stay compact JSON; when both sides exist only the keys whose value changed are listed (all of them
/// if none did). Text that is not a JSON object (a bare value, or JSON that does not parse) shows as it is under
/// <see cref="ValueKey"/>: the audit log never fails to display because of what a record holds.
/// </summary>
public static class AuditChanges
{
    public const string ValueKey = "(value)";

    /// <summary>Keys beyond this many (a runaway document) are summarised in one last row rather than listed.</summary>
    public const int MaxKeys = 200;

    public static IReadOnlyList<AuditChange> Parse(string? beforeJson, string? afterJson)
    {
        var before = Flatten(beforeJson);
        var after = Flatten(afterJson);
        var keys = before.Keys.Concat(after.Keys).Distinct(StringComparer.Ordinal).ToList();
        var all = keys.Select(k => new AuditChange(k, before.GetValueOrDefault(k), after.GetValueOrDefault(k))).ToList();
        var changes = beforeJson is not null && afterJson is not null
            ? all.Where(c => !string.Equals(c.Old, c.New, StringComparison.Ordinal)).ToList()
            : all;
        if (changes.Count == 0)
            changes = all;
        if (changes.Count > MaxKeys)
            changes = [.. changes.Take(MaxKeys), new AuditChange("…", null, $"{changes.Count - MaxKeys} more keys; export the CSV for all of them")];
        return changes;
    }

    private static Dictionary<string, string?> Flatten(string? json)
    {
        var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (json is null)
            return fields;
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
            if (document.RootElement.ValueKind == JsonValueKind.Object)
                Add(fields, "", document.RootElement, depth: 0);
            else
                fields[ValueKey] = Text(document.RootElement);
        }
        catch (JsonException)
        {
            fields[ValueKey] = json;
        }

        return fields;
    }

    private static void Add(Dictionary<string, string?> fields, string prefix, JsonElement value, int depth)
    {
        foreach (var property in value.EnumerateObject())
        {
            var key = prefix.Length == 0 ? property.Name : prefix + "." + property.Name;
            if (property.Value.ValueKind == JsonValueKind.Object && depth < 8 && property.Value.EnumerateObject().Any())
                Add(fields, key, property.Value, depth + 1);
            else
                fields[key] = Text(property.Value);
        }
    }

    private static string? Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.String => value.GetString(),
        _ => value.GetRawText(),
    };
}
