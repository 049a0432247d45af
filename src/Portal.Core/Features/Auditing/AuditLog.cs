using System.Text.Json;
using Portal.Core.Data;

namespace Portal.Core.Features.Auditing;

public static class AuditLog
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Adds an audit event to the unit of work. Its place in the hash chain is assigned when the context saves, in
    /// the same transaction as the change it records.
    /// </summary>
    public static AuditEvent Record(
        this PortalDbContext db,
        DateTimeOffset at,
        string? actorId,
        Guid? projectId,
        string action,
        string targetType,
        string targetId,
        object? before = null,
        object? after = null)
    {
        var e = new AuditEvent
        {
            At = at,
            ActorId = actorId,
            ProjectId = projectId,
            Action = action,
            TargetType = targetType,
            TargetId = targetId,
            BeforeJson = before is null ? null : JsonSerializer.Serialize(before, Json),
            AfterJson = after is null ? null : JsonSerializer.Serialize(after, Json),
        };
        db.AuditEvents.Add(e);
        return e;
    }
}
