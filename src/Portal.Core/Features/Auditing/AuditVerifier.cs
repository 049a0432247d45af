using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;

namespace Portal.Core.Features.Auditing;

/// <summary>
/// Recomputes the audit hash chain from the first record and names the first record that does not match: its content
/// was changed (hash differs), a record before it was removed (sequence gap or broken link), or records at the end were
/// removed (the chain head is ahead of the last record). Site admins only: the chain spans every project.
/// </summary>
public sealed class AuditVerifier(IDbContextFactory<PortalDbContext> dbFactory, Users users, TimeProvider clock)
{
    private const int Batch = 2000;

    public async Task<AuditVerifyResponse> VerifyAsync(ClaimsPrincipal user, CancellationToken ct = default)
    {
        var me = await users.CurrentAsync(user, ct);
        if (!me.IsSiteAdmin)
            throw PortalException.Forbidden("Only site admins verify the audit chain.");
        return await VerifyChainAsync(ct);
    }

    internal async Task<AuditVerifyResponse> VerifyChainAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Records appended while this runs are beyond the head read here and are left for the next check.
        var head = await db.AuditChainHeads.AsNoTracking().SingleAsync(h => h.Id == 1, ct);
        var expectedSequence = 1L;
        var previousHash = AuditChain.GenesisHash;
        long checkedCount = 0;
        while (expectedSequence <= head.Sequence)
        {
            var from = expectedSequence;
            var rows = await db.AuditEvents.AsNoTracking()
                .Where(e => e.Sequence >= from && e.Sequence <= head.Sequence)
                .OrderBy(e => e.Sequence).Take(Batch).ToListAsync(ct);
            if (rows.Count == 0)
                break;
            foreach (var e in rows)
            {
                if (e.Sequence != expectedSequence)
                    return Broken(checkedCount, expectedSequence, null, $"Record {expectedSequence} is missing: the chain jumps from {expectedSequence - 1} to {e.Sequence}.");
                if (!string.Equals(e.PreviousHash, previousHash, StringComparison.Ordinal))
                    return Broken(checkedCount, e.Sequence, e.Id, $"Record {e.Sequence} does not link to the record before it (its previous hash was changed, or that record was replaced).");
                if (!string.Equals(AuditChain.ComputeHash(previousHash, e), e.Hash, StringComparison.Ordinal))
                    return Broken(checkedCount, e.Sequence, e.Id, $"Record {e.Sequence} was changed after it was written: its content no longer matches its hash.");
                previousHash = e.Hash;
                expectedSequence++;
                checkedCount++;
            }
        }

        if (expectedSequence <= head.Sequence)
            return Broken(checkedCount, expectedSequence, null, $"Records {expectedSequence} to {head.Sequence} are missing: the chain ends before its head.");
        if (!string.Equals(previousHash, head.Hash, StringComparison.Ordinal))
            return Broken(checkedCount, head.Sequence, null, $"The last record's hash does not match the chain head, which records {head.Sequence}.");
        return new AuditVerifyResponse(true, checkedCount, null, null, null, clock.GetUtcNow());
    }

    private AuditVerifyResponse Broken(long checkedCount, long sequence, long? id, string problem) =>
        new(false, checkedCount, sequence, id, problem, clock.GetUtcNow());
}
