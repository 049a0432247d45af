using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Auditing;

namespace Portal.Core.Features.Maintenance;

/// <summary>
/// Aborts pending versions older than <see cref="MaintenanceOptions.PendingTtl"/>: their upload was abandoned. The
/// effect is the abort use case's: state <see cref="VersionState.Failed"/> (never visible), an audit event, under the
/// artifact's lock so that a commit arriving at the same moment either wins or finds the version aborted. Upload
/// sessions of large blobs that no part arrived for in <c>Storage:UploadSessionLifetime</c> go too, with their parts.
/// </summary>
public sealed class PendingVersionExpiry(IDbContextFactory<PortalDbContext> dbFactory, ArtifactWrites writes, IOptions<MaintenanceOptions> options, BlobUploadSessions uploadSessions, TimeProvider clock) : IMaintenanceJob
{
    private const int BatchSize = 200;

    public string Name => MaintenanceJobNames.PendingExpiry;

    public async Task ExecuteAsync(MaintenanceReport report, CancellationToken ct)
    {
        var ttl = options.Value.PendingTtl;
        var cutoff = clock.GetUtcNow() - ttl;
        report.Details["ttlHours"] = ttl.TotalHours;
        var seen = new HashSet<Guid>();
        while (true)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var batch = await db.ArtifactVersions.AsNoTracking()
                .Where(v => v.State == VersionState.Pending && v.CreatedAt < cutoff)
                .OrderBy(v => v.CreatedAt)
                .Select(v => new { v.Id, v.ArtifactId, v.Artifact.ProjectId, v.Artifact.Name, v.CreatedAt })
                .Take(BatchSize)
                .ToListAsync(ct);
            // A version that stayed pending although this run tried it (it cannot, but never loop forever).
            batch.RemoveAll(v => !seen.Add(v.Id));
            if (batch.Count == 0)
                break;
            foreach (var v in batch)
            {
                report.Examined++;
                if (await ExpireAsync(v.Id, v.ArtifactId, v.ProjectId, v.Name, v.CreatedAt, ttl, ct))
                {
                    report.Affected++;
                    report.List("expired", new { versionId = v.Id, artifact = v.Name, createdAt = v.CreatedAt });
                }
            }
        }

        await uploadSessions.ExpireAsync(report, ct);
    }

    /// <summary>Fails one pending version under its artifact's lock, the lock a commit takes: the two cannot both succeed.</summary>
    private Task<bool> ExpireAsync(Guid versionId, Guid artifactId, Guid projectId, string artifactName, DateTimeOffset createdAt, TimeSpan ttl, CancellationToken ct) =>
        writes.RunAsync(artifactId, async write =>
        {
            var version = await write.Db.ArtifactVersions.SingleOrDefaultAsync(v => v.Id == versionId, ct);
            if (version is null || version.State != VersionState.Pending)
                return false;
            version.State = VersionState.Failed;
            write.Db.Record(write.Now, null, projectId, "artifact_version.expired", "artifact_version", version.Id.ToString(),
                after: new { artifact = artifactName, createdAt, ttlHours = ttl.TotalHours });
            return true;
        }, ct);
}
