using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts.Manifests;

namespace Portal.Core.Features.Artifacts;

/// <summary>
/// Stores manifest ranges, each at most once. A range's entries are written with the provider's bulk path
/// (<see cref="BulkInserts"/>: EF Core's change tracker costs more than the insert itself at a million rows). The range row and its entries go in one transaction, so a range that exists
/// is always complete. A new range is listed as not yet indexed in the same transaction, and the
/// <see cref="BlobRangeIndexer"/> indexes its blobs after the commit.
/// </summary>
public sealed class RangeWriter(IDbContextFactory<PortalDbContext> dbFactory, BulkInserts bulk, BlobRangeIndexer indexer)
{

    /// <summary>
    /// Writes those of <paramref name="ranges"/> that are not stored yet, in one transaction; returns how many it wrote.
    /// One transaction for many ranges matters on SQLite: a commit writes every page the transaction changed.
    /// </summary>
    public async ValueTask<int> WriteIfMissingAsync(IReadOnlyList<BuiltRange> ranges, CancellationToken ct)
    {
        if (ranges.Count == 0)
            return 0;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var digests = ranges.Select(r => r.Digest).Distinct(StringComparer.Ordinal).ToList();
        var stored = (await db.ManifestRanges.Where(r => digests.Contains(r.Digest)).Select(r => r.Digest).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);
        var missing = ranges.Where(r => stored.Add(r.Digest)).ToList();
        if (missing.Count == 0)
            return 0;

        try
        {
            await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
            {
                db.ChangeTracker.Clear();
                await using var transaction = await db.Database.BeginTransactionAsync(ct);
                db.ManifestRanges.AddRange(missing.Select(ManifestRange.Of));
                db.UnindexedRanges.AddRange(missing.Select(r => new UnindexedRange { RangeDigest = r.Digest }));
                await db.SaveChangesAsync(ct);
                foreach (var range in missing)
                    await bulk.InsertRangeEntriesAsync(db, range, ct);
                await transaction.CommitAsync(ct);
            });
            indexer.Signal();
            return missing.Count;
        }
        catch (Exception ex) when (missing.Count > 1 && DatabaseErrors.IsUniqueViolation(ex))
        {
            // Another upload stored one of these ranges meanwhile: store them one by one, each skipping what exists.
            var written = 0;
            foreach (var range in missing)
                written += await WriteIfMissingAsync([range], ct);
            return written;
        }
        catch (Exception ex) when (DatabaseErrors.IsUniqueViolation(ex))
        {
            // Another upload of the same content stored this range first; ranges are immutable, so theirs is ours.
            return 0;
        }
    }
}
