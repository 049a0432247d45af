using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Client;
using Portal.Core.Data;

namespace Portal.Core.Features.Ingestions;

/// <summary>
/// Start-up reconciliation for job storage that forgets (in-memory with SQLite): queued and orphaned running
/// ingestions are queued again, and uploads whose browser went away long ago are failed and their staging removed.
/// </summary>
public sealed class IngestionReconciliation(
    IDbContextFactory<PortalDbContext> dbFactory, IBackgroundJobClient jobs, IngestionStaging staging, IOptions<IngestionOptions> options, TimeProvider clock)
{
    public async Task<int> RequeueUnfinishedAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Nothing runs before start-up finishes, so a running row is an orphan of the previous process.
        await db.Ingestions.Where(i => i.Status == IngestionStatus.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.Status, IngestionStatus.Queued).SetProperty(i => i.ClaimId, (Guid?)null), ct);
        var now = clock.GetUtcNow();
        var abandonedBefore = now - options.Value.AbandonedUploadAge;
        var abandoned = await db.Ingestions.Where(i => i.Status == IngestionStatus.Receiving && i.CreatedAt < abandonedBefore).Select(i => i.Id).ToListAsync(ct);
        foreach (var id in abandoned)
        {
            await db.Ingestions.Where(i => i.Id == id && i.Status == IngestionStatus.Receiving)
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.Status, IngestionStatus.Failed).SetProperty(i => i.FinishedAt, now)
                    .SetProperty(i => i.ErrorCode, ErrorCodes.IngestionFailed).SetProperty(i => i.ErrorMessage, "The upload was never started; its files were removed."), ct);
            staging.Delete(id);
        }

        var queued = await db.Ingestions.AsNoTracking().Where(i => i.Status == IngestionStatus.Queued).Select(i => i.Id).ToListAsync(ct);
        foreach (var id in queued)
            jobs.Enqueue<IngestionJob>(j => j.ExecuteAsync(id, CancellationToken.None));
        return queued.Count;
    }
}
