using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Promotions;
using Portal.Core.Text;

namespace Portal.Core.Features.Projects;

/// <summary>Committed versions of one artifact type on one day (UTC).</summary>
public sealed record VersionsPerDay(DateOnly Day, string ArtifactType, int Count);

/// <summary>
/// Storage at the end of one day (UTC): logical bytes of the versions committed by then, and stored bytes of the
/// distinct blobs they reference, each counted from when the portal stored it.
/// </summary>
public sealed record StorageOnDay(DateOnly Day, long LogicalBytes, long StoredBytes);

/// <summary>One line of the project's activity feed, already phrased for people.</summary>
public sealed record ProjectActivity(DateTimeOffset At, string Actor, string Action, string Description, string TargetType, string TargetId);

/// <summary>
/// The numbers on a project's overview. <see cref="StoredBytes"/> counts each distinct blob once, so
/// <see cref="DedupRatio"/> is how many logical bytes each stored byte serves.
/// </summary>
public sealed record ProjectDashboardResponse(
    int ArtifactCount,
    int VersionCount,
    int VersionsThisWeek,
    int RunCount,
    int PendingApprovals,
    long LogicalBytes,
    long StoredBytes,
    IReadOnlyList<VersionsPerDay> VersionsPerDay,
    IReadOnlyList<ProjectActivity> Activity)
{
    public double DedupRatio => StoredBytes == 0 ? 1 : (double)LogicalBytes / StoredBytes;

    /// <summary>Logical and stored bytes at the end of each of the last <see cref="ProjectDashboard.ChartDays"/> days.</summary>
    public IReadOnlyList<StorageOnDay> Storage { get; init; } = [];
}

/// <summary>Counts, storage and recent activity of a project: a fixed number of set-based queries whatever its size.</summary>
public sealed class ProjectDashboard(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access, TimeProvider clock)
{
    public const int ChartDays = 30;
    public const int ActivityItems = 12;

    public async Task<ProjectDashboardResponse> GetAsync(ClaimsPrincipal user, string slug, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        var projectId = grant.Project.Id;
        var now = clock.GetUtcNow();
        var weekAgo = now.AddDays(-7);
        var chartStart = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(-(ChartDays - 1));

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var committed = db.ArtifactVersions.AsNoTracking()
            .Where(v => v.Artifact.ProjectId == projectId && v.State == VersionState.Committed);

        var artifactCount = await db.Artifacts.CountAsync(a => a.ProjectId == projectId, ct);
        var versionCount = await committed.CountAsync(ct);
        var versionsThisWeek = await committed.CountAsync(v => v.CommittedAt >= weekAgo, ct);
        var runCount = await db.Runs.CountAsync(r => r.ProjectId == projectId, ct);
        var pendingApprovals = await PromotionQueries.AwaitingReviewers(db, projectId).CountAsync(ct);
        var logical = await committed.SumAsync(v => (long?)v.TotalSize, ct) ?? 0;

        var stored = await ReferencedBlobs(db, projectId).SumAsync(b => (long?)b.Size, ct) ?? 0;

        // Days are grouped here rather than in SQL: date functions differ per provider, and a month of commits is small.
        var recent = await committed
            .Where(v => v.CommittedAt >= chartStart)
            .Select(v => new { v.CommittedAt, v.Artifact.Type, v.TotalSize })
            .ToListAsync(ct);
        // Blobs stored inside the window, to walk the stored total back day by day (the sizes, not the rows, matter).
        var storedRecently = await ReferencedBlobs(db, projectId)
            .Where(b => b.StoredAt >= chartStart)
            .GroupBy(b => b.StoredAt)
            .Select(g => new { At = g.Key, Size = g.Sum(b => b.Size) })
            .ToListAsync(ct);
        var perDay = recent
            .GroupBy(v => (Day: DateOnly.FromDateTime(v.CommittedAt!.Value.UtcDateTime), v.Type))
            .Select(g => new VersionsPerDay(g.Key.Day, g.Key.Type, g.Count()))
            .OrderBy(p => p.Day).ThenBy(p => p.ArtifactType, StringComparer.Ordinal)
            .ToList();

        var storage = StorageByDay(
            DateOnly.FromDateTime(now.UtcDateTime), logical, stored,
            recent.Select(v => (DateOnly.FromDateTime(v.CommittedAt!.Value.UtcDateTime), v.TotalSize)),
            storedRecently.Select(b => (DateOnly.FromDateTime(b.At.UtcDateTime), b.Size)));

        var events = await LatestEvents(db, projectId).ToListAsync(ct);
        var activity = events
            .Select(e => new ProjectActivity(e.At, string.IsNullOrEmpty(e.Actor) ? SystemActor(e.Action) : e.Actor, e.Action, Describe(e.Action, e.AfterJson), e.TargetType, e.TargetId))
            .ToList();

        return new ProjectDashboardResponse(artifactCount, versionCount, versionsThisWeek, runCount, pendingApprovals, logical, stored, perDay, activity)
        {
            Storage = storage,
        };
    }

    /// <summary>
    /// Totals at the end of each chart day, from today's totals minus what was added on later days: no query per day.
    /// </summary>
    internal static List<StorageOnDay> StorageByDay(
        DateOnly today, long logicalNow, long storedNow, IEnumerable<(DateOnly Day, long Bytes)> logicalAdded, IEnumerable<(DateOnly Day, long Bytes)> storedAdded)
    {
        var logicalOn = logicalAdded.GroupBy(a => a.Day).ToDictionary(g => g.Key, g => g.Sum(a => a.Bytes));
        var storedOn = storedAdded.GroupBy(a => a.Day).ToDictionary(g => g.Key, g => g.Sum(a => a.Bytes));
        var days = new List<StorageOnDay>(ChartDays);
        long logical = logicalNow, stored = storedNow;
        for (var i = 0; i < ChartDays; i++)
        {
            var day = today.AddDays(-i);
            days.Add(new StorageOnDay(day, logical, stored));
            logical -= logicalOn.GetValueOrDefault(day);
            stored -= storedOn.GetValueOrDefault(day);
        }

        days.Reverse();
        return days;
    }

    /// <summary>
    /// The stored blobs the project's committed versions reference, each once however many versions and paths hold
    /// it (references to outside storage hold none). One query: versions → their ranges → the ranges' entries.
    /// </summary>
    internal static IQueryable<StoredBlob> ReferencedBlobs(PortalDbContext db, Guid projectId)
    {
        var versionIds = db.ArtifactVersions.Where(v => v.Artifact.ProjectId == projectId && v.State == VersionState.Committed).Select(v => v.Id);
        var rangeDigests = db.VersionRanges.Where(r => versionIds.Contains(r.VersionId)).Select(r => r.RangeDigest).Distinct();
        var blobDigests = db.RangeEntries.Where(e => e.Ref == null && rangeDigests.Contains(e.RangeDigest)).Select(e => e.Digest).Distinct();
        return db.StoredBlobs.AsNoTracking().Where(b => blobDigests.Contains(b.Digest));
    }

    internal sealed record ActivityRow(DateTimeOffset At, string Action, string TargetType, string TargetId, string? AfterJson, string? Actor);

    /// <summary>The project's newest audit events with the names of who did them, in one query.</summary>
    internal static IQueryable<ActivityRow> LatestEvents(PortalDbContext db, Guid projectId) =>
        (from e in db.AuditEvents.AsNoTracking()
         where e.ProjectId == projectId
         orderby e.At descending, e.Id descending
         join u in db.Users on e.ActorId equals u.Id into actors
         from u in actors.DefaultIfEmpty()
         select new ActivityRow(e.At, e.Action, e.TargetType, e.TargetId, e.AfterJson, u == null ? null : u.DisplayName))
        .Take(ActivityItems);

    /// <summary>Who did what no person did: the background job that records it, or the portal itself.</summary>
    internal static string SystemActor(string action) => action.Split('.')[0] switch
    {
        "compare_report" => "The compare job",
        "version_validation" => "The validation job",
        "ingestion" => "The ingestion job",
        _ => "Portal",
    };

    /// <summary>"committed corpus v3", "moved alias production of corpus to v4" … from an audit action and its recorded state.</summary>
    public static string Describe(string action, string? afterJson)
    {
        var fields = PayloadFields.Parse(afterJson);
        string Field(string name) => fields.String(name);
        var artifact = Field("artifact");
        var version = Field("version");
        var named = (artifact + " " + version).Trim();
        return action switch
        {
            "artifact.created" => $"created artifact {Field("name")}".TrimEnd(),
            "artifact_version.committed" => $"committed {named}".TrimEnd(),
            "artifact_version.created" => $"started a version of {artifact}".TrimEnd(),
            "artifact_version.aborted" => $"abandoned a version of {artifact}".TrimEnd(),
            "artifact_version.unchanged" => $"logged {artifact} unchanged".TrimEnd(),
            "artifact_alias.moved" => $"moved alias {Field("alias")} of {artifact}".TrimEnd(),
            "artifact_alias.removed" => $"removed alias {Field("alias")} of {artifact}".TrimEnd(),
            "run.created" => $"started run {Field("name")}".TrimEnd(),
            "run.finished" => "finished a run",
            "run.updated" => "updated a run",
            "run.used_version" => "recorded a run's input",
            "member.added" => "added a member",
            "member.removed" => "removed a member",
            "member.role_changed" => "changed a member's role",
            "project.created" => "created the project",
            "compare_report.finished" => "finished a compare report",
            "version_validation.finished" => $"validated {artifact}".TrimEnd(),
            _ => action.Replace('_', ' ').Replace('.', ' '),
        };
    }
}
