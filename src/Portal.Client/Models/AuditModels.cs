namespace Portal.Client.Models;

/// <summary>One audit record. <see cref="Before"/> and <see cref="After"/> are the recorded JSON documents as text.</summary>
public sealed record AuditEventResponse(
    long Id,
    long Sequence,
    DateTimeOffset At,
    string? ProjectSlug,
    string? ActorId,
    string? ActorEmail,
    string Action,
    string TargetType,
    string TargetId,
    string? Before,
    string? After,
    string Hash);

/// <summary>
/// The result of recomputing the audit hash chain. When <see cref="Valid"/> is false, <see cref="FirstBrokenSequence"/>
/// names the first record whose content, link or position does not match, and <see cref="Problem"/> says how.
/// </summary>
public sealed record AuditVerifyResponse(
    bool Valid,
    long RecordsChecked,
    long? FirstBrokenSequence,
    long? FirstBrokenId,
    string? Problem,
    DateTimeOffset VerifiedAt);
