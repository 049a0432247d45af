using System.Security.Claims;
using System.Text.Json;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Auditing;

namespace Portal.Core.Features.Validation;

/// <summary>A version's validation as the API and the version page show it, and asking for it to run again.</summary>
public sealed class VersionValidations(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access, IBackgroundJobClient jobs, TimeProvider clock)
{
    public async Task<ValidationResponse> GetAsync(ClaimsPrincipal user, string slug, Guid versionId, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await VersionFiles.RequireCommittedVersionAsync(db, grant.Project.Id, versionId, ct);
        return await ReadAsync(db, versionId, ct);
    }

    internal static async Task<ValidationResponse> ReadAsync(PortalDbContext db, Guid versionId, CancellationToken ct)
    {
        var type = await db.ArtifactVersions.AsNoTracking().Where(v => v.Id == versionId).Select(v => v.Artifact.Type).SingleOrDefaultAsync(ct);
        var row = await db.VersionValidations.AsNoTracking().SingleOrDefaultAsync(v => v.VersionId == versionId, ct);
        if (row is null)
            return new ValidationResponse(versionId, JobStates.Missing, 0, "Not validated yet.", 0, 0, 0, 0, 0, 0, null, null, null, type, []);
        var findings = await db.ValidationFindings.AsNoTracking().Where(f => f.VersionId == versionId).OrderBy(f => f.Ordinal).ToListAsync(ct);
        var progress = row.State is BackgroundJobState.Passed or BackgroundJobState.Failed ? 1 : row.BytesTotal > 0 ? Math.Min(1, row.BytesDone / (double)row.BytesTotal) : 0;
        return new ValidationResponse(
            versionId, ValidationJob.JobStateName(row.State), progress, row.Summary, row.Errors, row.Warnings, row.Infos, row.FilesScanned,
            row.BytesDone, row.RowsScanned, row.QueuedAt, row.StartedAt, row.FinishedAt, type,
            findings.Select(f => new ValidationFindingResponse(f.Check, f.Code, f.Severity, f.Message, f.Path, f.Count,
                JsonSerializer.Deserialize<List<FindingLocation>>(f.LocationsJson, ValidationJob.Json) ?? [])).ToList());
    }

    /// <summary>Validates the version again with the current rules (contributors; e.g. after a rule change).</summary>
    public async Task<ValidationResponse> RerunAsync(ClaimsPrincipal user, string slug, Guid versionId, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Contributor, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await VersionFiles.RequireCommittedVersionAsync(db, grant.Project.Id, versionId, ct);
        var now = clock.GetUtcNow();
        var unfinished = await ValidationJob.RequeueAsync(db, versionId, grant.Project.Id, now, ct);
        if (unfinished)
        {
            db.Record(now, grant.UserId, grant.Project.Id, "version_validation.requested", "artifact_version", versionId.ToString());
            await db.SaveChangesAsync(ct);
            jobs.Enqueue<ValidationJob>(j => j.ExecuteAsync(versionId, CancellationToken.None));
        }

        return await ReadAsync(db, versionId, ct);
    }
}
