using System.Text.Json;
using Portal.Core.Features.Events;

namespace Portal.Core.Features.Automations;

/// <summary>
/// What a rule needs from an event's payload: the filter values (artifact type, alias), the version the event is about
/// and the version before it (what a compare report is made against).
/// </summary>
public sealed record AutomationEventFacts(string? ArtifactType, string? Alias, Guid? SubjectVersionId, Guid? PreviousVersionId)
{
    public static AutomationEventFacts From(PortalEvent e)
    {
        try
        {
            using var document = JsonDocument.Parse(e.PayloadJson);
            var root = document.RootElement;
            return e.Type switch
            {
                PortalEventTypes.VersionCommitted => new(String(root, "artifactType"), null, Id(root, "version"), Id(root, "previousVersion")),
                PortalEventTypes.VersionLinked => new(null, null, Id(root, "version"), Guid(root, "previousVersionId")),
                PortalEventTypes.AliasMoved => new(null, String(root, "alias"), Id(root, "to"), Id(root, "from")),
                _ => new(null, null, null, null),
            };
        }
        catch (JsonException)
        {
            return new(null, null, null, null);
        }
    }

    private static string? String(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static Guid? Guid(JsonElement root, string name) =>
        String(root, name) is { } text && System.Guid.TryParse(text, out var id) ? id : null;

    private static Guid? Id(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? Guid(value, "id") : null;
}
