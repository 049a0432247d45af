using Microsoft.EntityFrameworkCore;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Auditing;
using Portal.Core.Features.Events;
using Portal.Core.Features.Lineage;

namespace Portal.Core.Features.Maintenance;

/// <summary>
/// Removes committed versions whose retention ran out: older than their project's <see cref="RetentionPolicy"/> for
/// the artifact type, or past their own <see cref="ArtifactVersion.ExpiresAt"/>. It never removes a version that an
/// alias points at (<c>latest</c> or a custom one such as <c>production</c>), nor the newest version of an artifact,
/// nor a version upstream of one behind a custom alias (it was used, directly or through runs in between, to make it).
/// </summary>
/// <remarks>
/// Removal is a tombstone: the version row, its <c>vN</c>, aliases' history and audit trail stay, its state becomes
/// <see cref="VersionState.Deleted"/> (hidden from listings, reads answer "not found"), and garbage collection later
/// releases its manifest ranges and then the blobs no other version names. The alias check is repeated under the
/// artifact's lock, which every alias move takes, so an alias set meanwhile still protects the version.
/// </remarks>
public sealed class RetentionJob(IDbContextFactory<PortalDbContext> dbFactory, ArtifactWrites writes, TimeProvider clock) : IMaintenanceJob
{
    private const int Chunk = 500;

    public string Name => MaintenanceJobNames.Retention;

    public async Task ExecuteAsync(MaintenanceReport report, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        List<RetentionPolicy> policies;
        List<Guid> projectIds;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            policies = await db.RetentionPolicies.AsNoTracking().ToListAsync(ct);
            var withOwnExpiry = await db.ArtifactVersions.AsNoTracking()
                .Where(v => v.State == VersionState.Committed && v.ExpiresAt != null && v.ExpiresAt <= now)
                .Select(v => v.Artifact.ProjectId).Distinct().ToListAsync(ct);
            projectIds = policies.Select(p => p.ProjectId).Concat(withOwnExpiry).Distinct().ToList();
        }
        var protectedCount = 0;
        foreach (var projectId in projectIds)
        {
            var projectPolicies = policies.Where(p => p.ProjectId == projectId).ToDictionary(p => p.ArtifactType, p => p.KeepDays, StringComparer.Ordinal);
            var (examined, kept, removed) = await ApplyAsync(projectId, projectPolicies, now, report, ct);
            report.Examined += examined;
            protectedCount += kept;
            report.Affected += removed;
        }
        report.Details["projects"] = projectIds.Count;
        report.Details["kept"] = protectedCount;
    }

    private async Task<(int Examined, int Kept, int Removed)> ApplyAsync(Guid projectId, Dictionary<string, int> keepDays, DateTimeOffset now, MaintenanceReport report, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var shortest = keepDays.Count == 0 ? (int?)null : keepDays.Values.Min();
        var oldest = shortest is { } days ? now.AddDays(-days) : (DateTimeOffset?)null;
        var committed = await db.ArtifactVersions.AsNoTracking()
            .Where(v => v.Artifact.ProjectId == projectId && v.State == VersionState.Committed)
            .Where(v => (v.ExpiresAt != null && v.ExpiresAt <= now) || (oldest != null && v.CommittedAt < oldest))
            .Select(v => new { v.Id, v.ArtifactId, ArtifactName = v.Artifact.Name, v.Artifact.Type, v.Index, v.CommittedAt, v.ExpiresAt })
            .ToListAsync(ct);
        var due = committed
            .Select(v => new { Version = v, Reason = ReasonToRemove(v.Type, v.CommittedAt, v.ExpiresAt, keepDays, now) })
            .Where(x => x.Reason is not null)
            .ToList();
        if (due.Count == 0)
            return (0, 0, 0);

        // What must stay: versions behind any alias, the newest version of each artifact, and everything upstream of a
        // version behind a custom alias.
        var artifactIds = due.Select(x => x.Version.ArtifactId).Distinct().ToList();
        var aliases = new List<(Guid VersionId, string Name)>();
        var newest = new HashSet<Guid>();
        foreach (var chunk in artifactIds.Chunk(Chunk))
        {
            aliases.AddRange((await db.Aliases.AsNoTracking().Where(a => chunk.Contains(a.ArtifactId)).Select(a => new { a.VersionId, a.Name }).ToListAsync(ct))
                .Select(a => (a.VersionId, a.Name)));
            // Indexes are assigned at commit without gaps, so the newest committed version is NextVersionIndex - 1.
            newest.UnionWith(await db.ArtifactVersions.AsNoTracking()
                .Where(v => chunk.Contains(v.ArtifactId) && v.Index == v.Artifact.NextVersionIndex - 1)
                .Select(v => v.Id)
                .ToListAsync(ct));
        }
        var customAliased = await db.Aliases.AsNoTracking()
            .Where(a => a.Name != ArtifactNames.Latest && db.ArtifactVersions.Any(v => v.Id == a.VersionId && v.Artifact.ProjectId == projectId))
            .Select(a => a.VersionId).Distinct().ToListAsync(ct);
        var upstream = await UpstreamOfAsync(db, customAliased, ct);
        var keep = aliases.Select(a => a.VersionId).Concat(newest).Concat(upstream).ToHashSet();

        var removed = 0;
        var kept = 0;
        foreach (var x in due)
        {
            if (keep.Contains(x.Version.Id))
            {
                kept++;
                continue;
            }
            if (await RemoveAsync(projectId, x.Version.Id, x.Version.ArtifactId, x.Version.ArtifactName, x.Version.Index, x.Reason!, ct))
            {
                removed++;
                report.List("removed", new { versionId = x.Version.Id, artifact = x.Version.ArtifactName, version = ArtifactNames.FormatIndex(x.Version.Index ?? 0), reason = x.Reason });
            }
        }
        return (due.Count, kept, removed);
    }

    private static string? ReasonToRemove(string type, DateTimeOffset? committedAt, DateTimeOffset? expiresAt, Dictionary<string, int> keepDays, DateTimeOffset now)
    {
        if (expiresAt is { } expires && expires <= now)
            return "version expiry";
        if (!keepDays.TryGetValue(type, out var days) && !keepDays.TryGetValue(RetentionPolicy.AnyType, out days))
            return null;
        return committedAt < now.AddDays(-days) ? $"older than {days} days ({(keepDays.ContainsKey(type) ? type : "any type")} policy)" : null;
    }

    /// <summary>
    /// Every version upstream of <paramref name="versionIds"/>: the versions used by the runs that produced them, and
    /// so on, one set-based step per generation.
    /// </summary>
    internal static async Task<HashSet<Guid>> UpstreamOfAsync(PortalDbContext db, IReadOnlyCollection<Guid> versionIds, CancellationToken ct)
    {
        var seen = new HashSet<Guid>(versionIds);
        var frontier = versionIds.ToList();
        var upstream = new HashSet<Guid>();
        while (frontier.Count > 0)
        {
            var runs = new HashSet<Guid>();
            foreach (var chunk in frontier.Chunk(Chunk))
            {
                runs.UnionWith(await db.LineageEdges.AsNoTracking()
                    .Where(e => e.Direction == LineageDirection.Produced && chunk.Contains(e.VersionId)).Select(e => e.RunId).ToListAsync(ct));
            }
            var next = new List<Guid>();
            foreach (var chunk in runs.Chunk(Chunk))
            {
                var used = await db.LineageEdges.AsNoTracking()
                    .Where(e => e.Direction == LineageDirection.Used && chunk.Contains(e.RunId)).Select(e => e.VersionId).ToListAsync(ct);
                next.AddRange(used.Where(seen.Add));
            }
            upstream.UnionWith(next);
            frontier = next;
        }
        return upstream;
    }

    /// <summary>Retires one version under its artifact's lock: an alias set since the protected set was read is seen here.</summary>
    private Task<bool> RemoveAsync(Guid projectId, Guid versionId, Guid artifactId, string artifactName, int? index, string reason, CancellationToken ct) =>
        writes.RunAsync(artifactId, async write =>
        {
            var db = write.Db;
            var version = await db.ArtifactVersions.SingleOrDefaultAsync(v => v.Id == versionId, ct);
            if (version is null || version.State != VersionState.Committed || await db.Aliases.AnyAsync(a => a.VersionId == versionId, ct))
                return false;
            version.State = VersionState.Deleted;
            var name = ArtifactNames.FormatIndex(index ?? 0);
            db.Record(write.Now, null, projectId, RetiredAction, "artifact_version", versionId.ToString(), after: new { artifact = artifactName, version = name, reason });
            db.Raise(projectId, PortalEventTypes.VersionRetired, new { versionId, artifact = artifactName, version = name, reason }, write.Now);
            return true;
        }, ct);

    /// <summary>The audit action of a removal; project admins read their retention results from these.</summary>
    public const string RetiredAction = "artifact_version.retired";
}
