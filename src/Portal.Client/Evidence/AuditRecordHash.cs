using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Portal.Client.Evidence;

/// <summary>
/// The hash of one audit record in the portal's hash chain: SHA-256 over the previous record's hash and the record's
/// canonical content. The portal computes it when appending and verifying; evidence-pack verifiers recompute it offline,
/// so both use this one definition.
/// </summary>
public static class AuditRecordHash
{
    /// <summary>The "previous hash" of the first record.</summary>
    public static readonly string GenesisHash = new('0', 64);

    /// <summary>How a record's time enters the hash: UTC to the millisecond, the precision every provider round-trips.</summary>
    public const string TimeFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";

    public static string FormatTime(DateTimeOffset at) => at.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    public static string Compute(
        string previousHash, long sequence, Guid? projectId, string? actorId, string action, string targetType, string targetId,
        string? beforeJson, string? afterJson, DateTimeOffset at) =>
        Compute(previousHash, sequence, projectId, actorId, action, targetType, targetId, beforeJson, afterJson, FormatTime(at));

    /// <param name="at">The time as <see cref="FormatTime"/> writes it (evidence packs carry it in that form).</param>
    public static string Compute(
        string previousHash, long sequence, Guid? projectId, string? actorId, string action, string targetType, string targetId,
        string? beforeJson, string? afterJson, string at)
    {
        // Fields in a fixed order, separated by a unit separator that cannot occur in JSON text without escaping.
        var content = string.Join('\u001f',
            previousHash,
            sequence.ToString(CultureInfo.InvariantCulture),
            projectId?.ToString("D") ?? "",
            actorId ?? "",
            action,
            targetType,
            targetId,
            beforeJson ?? "",
            afterJson ?? "",
            at);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));
    }
}
