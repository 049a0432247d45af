using Portal.Client.Evidence;

namespace Portal.Core.Features.Auditing;

/// <summary>The hash chain over audit events: one definition (<see cref="AuditRecordHash"/>) used when appending and when verifying.</summary>
public static class AuditChain
{
    /// <summary>The "previous hash" of the first event.</summary>
    public static readonly string GenesisHash = AuditRecordHash.GenesisHash;

    public static string ComputeHash(string previousHash, AuditEvent e) =>
        AuditRecordHash.Compute(previousHash, e.Sequence, e.ProjectId, e.ActorId, e.Action, e.TargetType, e.TargetId, e.BeforeJson, e.AfterJson, e.At);
}
