using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Features.Validation;

namespace Portal.Core.Features.Checks;

/// <summary>Promotion checks read from the stored validation results and compare reports.</summary>
public sealed class StoredVersionCheckStatusSource(IDbContextFactory<PortalDbContext> dbFactory) : IVersionCheckStatusSource
{
    public async Task<VersionCheckStatus> GetValidationAsync(Guid versionId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.VersionValidations.AsNoTracking().Where(v => v.VersionId == versionId)
            .Select(v => new { v.State, v.Summary, v.ProjectId }).SingleOrDefaultAsync(ct);
        if (row is null)
            return new VersionCheckStatus(VersionCheckState.Missing, "The version has not been validated.");
        var slug = await db.Projects.AsNoTracking().Where(p => p.Id == row.ProjectId).Select(p => p.Slug).SingleAsync(ct);
        return new VersionCheckStatus(Map(row.State), row.Summary, $"/api/v1/projects/{slug}/versions/{versionId}/validation");
    }

    public async Task<VersionCheckStatus> GetCompareReportAsync(Guid fromVersionId, Guid toVersionId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.CompareReports.AsNoTracking().Where(r => r.FromVersionId == fromVersionId && r.ToVersionId == toVersionId)
            .Select(r => new { r.Id, r.State, r.Summary, r.ProjectId }).ToListAsync(ct);
        if (rows.Count == 0)
            return new VersionCheckStatus(VersionCheckState.Missing, "No compare report between these versions.");
        // Any finished report of the pair counts; otherwise the most advanced state.
        var best = rows.OrderByDescending(r => r.State == BackgroundJobState.Passed ? 3 : r.State == BackgroundJobState.Running ? 2 : r.State == BackgroundJobState.Queued ? 1 : 0).First();
        var slug = await db.Projects.AsNoTracking().Where(p => p.Id == best.ProjectId).Select(p => p.Slug).SingleAsync(ct);
        return new VersionCheckStatus(Map(best.State), best.Summary, $"/api/v1/projects/{slug}/compare-reports/{best.Id}");
    }

    private static VersionCheckState Map(BackgroundJobState state) => state switch
    {
        BackgroundJobState.Queued => VersionCheckState.Queued,
        BackgroundJobState.Running => VersionCheckState.Running,
        BackgroundJobState.Passed => VersionCheckState.Passed,
        _ => VersionCheckState.Failed,
    };
}
