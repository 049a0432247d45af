using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Portal.Core.Features.Auditing;

/// <summary>The hash chain over audit events: one definition used when appending and when verifying.</summary>
public static class AuditChain
{
    /// <summary>The "previous hash" of the first event.</summary>
    public static readonly string GenesisHash = new('0', 64);

    public static string ComputeHash(string previousHash, AuditEvent e)
    {
        // Canonical content: fields in a fixed order, separated by a unit separator that cannot occur in JSON text
        // without escaping, with times in UTC to the millisecond, the precision every provider round-trips.
        var content = string.Join('\u001f',
            previousHash,
            e.Sequence.ToString(CultureInfo.InvariantCulture),
            e.ProjectId?.ToString("D") ?? "",
            e.ActorId ?? "",
            e.Action,
            e.TargetType,
            e.TargetId,
            e.BeforeJson ?? "",
            e.AfterJson ?? "",
            e.At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));
    }
}
