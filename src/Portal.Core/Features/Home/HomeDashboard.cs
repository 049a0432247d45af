using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Events;
using Portal.Core.Features.Maintenance;
using Portal.Core.Features.Promotions;
using Portal.Core.Features.Runs;
using Portal.Core.Features.Validation;
using Portal.Core.Text;

namespace Portal.Core.Features.Home;

/// <summary>A version of the person's whose validation failed.</summary>
public sealed record HomeFailedValidation(string Project, string Artifact, Guid VersionId, string Version, int Errors, string Summary, DateTimeOffset? FinishedAt);

/// <summary>A run of the person's that failed, crashed or was killed.</summary>
public sealed record HomeFailedRun(string Project, Guid RunId, string Name, string JobType, RunStatus Status, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt);

/// <summary>What waits for the person: reviews to give, their own open requests, their failed validations and runs.</summary>
public sealed record HomeForMe(
    IReadOnlyList<PromotionResponse> ReviewsWaiting,
    int ReviewsWaitingTotal,
    IReadOnlyList<PromotionResponse> MyOpenRequests,
    int MyOpenRequestsTotal,
    IReadOnlyList<HomeFailedValidation> FailedValidations,
    IReadOnlyList<HomeFailedRun> FailedRuns);

/// <summary>One line of "since I last looked", already phrased for people.</summary>
public sealed record HomeNewsItem(long EventId, string Kind, DateTimeOffset At, string Description, string? Link);

/// <summary>
/// What happened in one project since the person last looked: counts per kind (<see cref="HomeDashboard.NewsKinds"/>)
/// and the newest items.
/// </summary>
public sealed record HomeProjectNews(string Project, string ProjectName, IReadOnlyDictionary<string, int> Counts, IReadOnlyList<HomeNewsItem> Latest)
{
    public int Total => Counts.Values.Sum();
}

/// <summary>For site admins: integrity findings, failed maintenance jobs of the last week, and storage growth.</summary>
public sealed record HomeHealth(int IntegrityFindings, int FailedJobsThisWeek, long StoredBytes, long StoredBytesThisWeek, long StoredBlobs);

/// <summary>A pinned artifact or run with what a person checks on it.</summary>
public sealed record HomePinView(Guid PinId, PinKind Kind, string Project, Guid TargetId, string Name, string? Latest, IReadOnlyList<string> Aliases, string Status, string Link);

/// <param name="UpToEventId">The newest event the page was built from: "mark as seen" sends it back, so what arrived after the page was drawn stays new.</param>
/// <param name="LastSeenAt">When the person last marked everything as seen; null when never.</param>
/// <param name="Health">Null for people who are not site admins.</param>
public sealed record HomeDashboardResponse(
    string DisplayName,
    int ProjectCount,
    HomeForMe ForMe,
    IReadOnlyList<HomeProjectNews> SinceLastLooked,
    long UpToEventId,
    DateTimeOffset? LastSeenAt,
    HomeHealth? Health,
    IReadOnlyList<HomePinView> Pins);

/// <summary>
/// The home page of one person across the projects they belong to. A fixed number of set-based queries whatever the
/// number of projects, events or pins: counts are grouped in the database, lists are bounded.
/// </summary>
public sealed class HomeDashboard(IDbContextFactory<PortalDbContext> dbFactory, PromotionQueries promotions, TimeProvider clock)
{
    public const int ListedItems = 8;
    public const int NewsPerProject = 5;

    /// <summary>Alias moves read to find those of protected aliases (the newest first); moves are rare next to commits.</summary>
    public const int AliasMovesRead = 2000;

    public const string NewVersions = "versions";
    public const string ProtectedAliasMoves = "protected alias moves";
    public const string Decisions = "decisions";
    public const string FailedValidations = "failed validations";
    public const string CompareReports = "compare reports";

    /// <summary>The kinds of news, in the order the page shows them.</summary>
    public static readonly IReadOnlyList<string> NewsKinds = [NewVersions, ProtectedAliasMoves, Decisions, FailedValidations, CompareReports];

    /// <summary>One of each kind of news, for counts of one.</summary>
    private static readonly Dictionary<string, string> SingularOf = new(StringComparer.Ordinal)
    {
        [NewVersions] = "version",
        [ProtectedAliasMoves] = "protected alias move",
        [Decisions] = "decision",
        [FailedValidations] = "failed validation",
        [CompareReports] = "compare report",
    };

    /// <summary>"1 protected alias move", "3 versions": a count of one kind of news, as the page shows it.</summary>
    public static string CountOf(string kind, int count) => Plural.Count(count, SingularOf.GetValueOrDefault(kind, kind), kind);

    private static readonly string[] CountedTypes =
    [
        PortalEventTypes.VersionCommitted, PortalEventTypes.PromotionApproved, PortalEventTypes.PromotionRejected,
        PortalEventTypes.PromotionApplied, PortalEventTypes.CompareReportFinished,
    ];

    private static readonly string[] ListedTypes = [.. CountedTypes, PortalEventTypes.AliasMoved, PortalEventTypes.ValidationFinished];

    public async Task<HomeDashboardResponse> GetAsync(ClaimsPrincipal user, CancellationToken ct = default)
    {
        var userId = ProjectAccess.UserId(user) ?? throw PortalException.Unauthenticated();
        var now = clock.GetUtcNow();
        var weekAgo = now.AddDays(-7);
        await using var db = await dbFactory.CreateDbContextAsync(ct);

        var me = await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => new { u.DisplayName, u.IsSiteAdmin }).SingleOrDefaultAsync(ct)
            ?? throw PortalException.Unauthenticated();
        var projects = await db.Memberships.AsNoTracking().Where(m => m.UserId == userId)
            .Select(m => new { m.ProjectId, m.Project.Slug, m.Project.Name }).ToListAsync(ct);
        var projectIds = projects.Select(p => p.ProjectId).ToList();
        var slugOf = projects.ToDictionary(p => p.ProjectId, p => p.Slug);
        var state = await db.HomeStates.AsNoTracking().Where(s => s.UserId == userId).Select(s => new { s.LastSeenEventId, s.SeenAt }).SingleOrDefaultAsync(ct);
        var lastSeen = state?.LastSeenEventId ?? 0;
        var upTo = await db.PortalEvents.Where(e => projectIds.Contains(e.ProjectId)).MaxAsync(e => (long?)e.Id, ct) ?? lastSeen;

        var forMe = await ForMeAsync(db, user, userId, slugOf, ct);
        var news = await NewsAsync(db, projects.Select(p => (p.ProjectId, p.Slug, p.Name)).ToList(), lastSeen, upTo, ct);
        var health = me.IsSiteAdmin ? await HealthAsync(db, weekAgo, ct) : null;
        var pins = await PinsAsync(db, userId, slugOf, ct);
        return new HomeDashboardResponse(me.DisplayName, projects.Count, forMe, news, Math.Max(upTo, lastSeen), state?.SeenAt, health, pins);
    }

    /// <summary>Everything up to <paramref name="upToEventId"/> (what the page showed) is no longer new; never moves backwards.</summary>
    public async Task MarkSeenAsync(ClaimsPrincipal user, long upToEventId, CancellationToken ct = default)
    {
        var userId = ProjectAccess.UserId(user) ?? throw PortalException.Unauthenticated();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var state = await db.HomeStates.SingleOrDefaultAsync(s => s.UserId == userId, ct);
        if (state is null)
        {
            state = new HomeState { UserId = userId };
            db.HomeStates.Add(state);
        }

        state.LastSeenEventId = Math.Max(state.LastSeenEventId, upToEventId);
        state.SeenAt = clock.GetUtcNow();
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException) when (db.Entry(state).State == EntityState.Added)
        {
            // The same person marked as seen in another tab at the same moment: theirs stands, and means the same.
        }
    }

    private async Task<HomeForMe> ForMeAsync(PortalDbContext db, ClaimsPrincipal user, string userId, IReadOnlyDictionary<Guid, string> slugOf, CancellationToken ct)
    {
        var reviews = await promotions.QueueAsync(user, PromotionQueueScope.Awaiting, ct: ct);
        var mine = await promotions.QueueAsync(user, PromotionQueueScope.Mine, state: "pending", ct: ct);

        var failedValidations = await (
                from validation in db.VersionValidations.AsNoTracking()
                join version in db.ArtifactVersions on validation.VersionId equals version.Id
                where version.CreatedById == userId && validation.State == BackgroundJobState.Failed
                orderby validation.FinishedAt descending
                select new { version.Artifact.ProjectId, Artifact = version.Artifact.Name, version.Id, version.Index, validation.Errors, validation.Summary, validation.FinishedAt })
            .Take(ListedItems).ToListAsync(ct);
        var failedRuns = await db.Runs.AsNoTracking()
            .Where(r => r.CreatedById == userId && (r.Status == RunStatus.Failed || r.Status == RunStatus.Crashed || r.Status == RunStatus.Killed))
            .OrderByDescending(r => r.StartedAt)
            .Select(r => new { r.ProjectId, r.Id, r.Name, r.JobType, r.Status, r.StartedAt, r.FinishedAt })
            .Take(ListedItems).ToListAsync(ct);

        // Projects the person has left keep their history elsewhere; the home page shows only where they belong.
        return new HomeForMe(
            reviews.Take(ListedItems).ToList(), reviews.Count,
            mine.Take(ListedItems).ToList(), mine.Count,
            failedValidations.Where(v => slugOf.ContainsKey(v.ProjectId))
                .Select(v => new HomeFailedValidation(slugOf[v.ProjectId], v.Artifact, v.Id, v.Index is { } i ? ArtifactNames.FormatIndex(i) : "", v.Errors, v.Summary, v.FinishedAt)).ToList(),
            failedRuns.Where(r => slugOf.ContainsKey(r.ProjectId))
                .Select(r => new HomeFailedRun(slugOf[r.ProjectId], r.Id, r.Name, r.JobType, r.Status, r.StartedAt, r.FinishedAt)).ToList());
    }

    private static async Task<IReadOnlyList<HomeProjectNews>> NewsAsync(
        PortalDbContext db, IReadOnlyList<(Guid Id, string Slug, string Name)> projects, long lastSeen, long upTo, CancellationToken ct)
    {
        var projectIds = projects.Select(p => p.Id).ToList();
        var fresh = db.PortalEvents.AsNoTracking().Where(e => projectIds.Contains(e.ProjectId) && e.Id > lastSeen && e.Id <= upTo);

        var counted = await fresh.Where(e => CountedTypes.Contains(e.Type))
            .GroupBy(e => new { e.ProjectId, e.Type })
            .Select(g => new { g.Key.ProjectId, g.Key.Type, Count = g.Count() })
            .ToListAsync(ct);
        // Failed validations are counted from their results (a finished-validation event does not say "failed" in a column).
        var lastSeenAt = lastSeen == 0 ? DateTimeOffset.MinValue
            : await db.PortalEvents.Where(e => e.Id == lastSeen).Select(e => (DateTimeOffset?)e.OccurredAt).SingleOrDefaultAsync(ct) ?? DateTimeOffset.MinValue;
        var failed = await db.VersionValidations.AsNoTracking()
            .Where(v => projectIds.Contains(v.ProjectId) && v.State == BackgroundJobState.Failed && v.FinishedAt > lastSeenAt)
            .GroupBy(v => v.ProjectId)
            .Select(g => new { ProjectId = g.Key, Count = g.Count() })
            .ToListAsync(ct);
        var protectedAliases = (await db.PromotionPolicies.AsNoTracking().Where(p => projectIds.Contains(p.ProjectId))
                .Select(p => new { p.ProjectId, p.AliasName }).ToListAsync(ct))
            .Select(p => (p.ProjectId, p.AliasName)).ToHashSet();
        var moves = await fresh.Where(e => e.Type == PortalEventTypes.AliasMoved)
            .OrderByDescending(e => e.Id).Take(AliasMovesRead)
            .Select(e => new { e.ProjectId, e.PayloadJson }).ToListAsync(ct);
        // The newest items of every project in one query: enough rows that each project's newest few are among them
        // unless one project is far busier, which then fills the list with what is newest anyway.
        var latest = await fresh.Where(e => ListedTypes.Contains(e.Type))
            .OrderByDescending(e => e.Id).Take(NewsPerProject * 4 * Math.Max(projects.Count, 1))
            .Select(e => new { e.Id, e.ProjectId, e.Type, e.OccurredAt, e.PayloadJson }).ToListAsync(ct);

        var news = new List<HomeProjectNews>();
        foreach (var (id, slug, name) in projects)
        {
            var counts = NewsKinds.ToDictionary(k => k, _ => 0, StringComparer.Ordinal);
            foreach (var c in counted.Where(c => c.ProjectId == id))
                counts[KindOf(c.Type)] += c.Count;
            counts[FailedValidations] = failed.FirstOrDefault(f => f.ProjectId == id)?.Count ?? 0;
            counts[ProtectedAliasMoves] = moves.Count(m => m.ProjectId == id && protectedAliases.Contains((id, PayloadFields.Parse(m.PayloadJson).String("alias"))));
            var items = latest.Where(e => e.ProjectId == id)
                .Where(e => e.Type switch
                {
                    PortalEventTypes.AliasMoved => protectedAliases.Contains((id, PayloadFields.Parse(e.PayloadJson).String("alias"))),
                    PortalEventTypes.ValidationFinished => PayloadFields.Parse(e.PayloadJson).String("state") == "failed",
                    _ => true,
                })
                .Take(NewsPerProject)
                .Select(e => Describe(e.Id, e.Type, e.OccurredAt, slug, e.PayloadJson))
                .ToList();
            var kept = counts.Where(c => c.Value > 0).ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);
            if (kept.Count > 0 || items.Count > 0)
                news.Add(new HomeProjectNews(slug, name, kept, items));
        }

        return news.OrderByDescending(n => n.Latest.Count == 0 ? 0 : n.Latest[0].EventId).ToList();
    }

    private static string KindOf(string type) => type switch
    {
        PortalEventTypes.VersionCommitted => NewVersions,
        PortalEventTypes.AliasMoved => ProtectedAliasMoves,
        PortalEventTypes.ValidationFinished => FailedValidations,
        PortalEventTypes.CompareReportFinished => CompareReports,
        _ => Decisions,
    };

    /// <summary>"corpus v4 committed by Ada", "production of corpus moved to v4 by Ada" … from an event's payload.</summary>
    internal static HomeNewsItem Describe(long id, string type, DateTimeOffset at, string project, string payloadJson)
    {
        var fields = PayloadFields.Parse(payloadJson);
        string F(string name) => fields.String(name);
        string Version(string name) => fields.Nested(name, "version");
        var artifact = F("artifact");
        var by = F("actor") is { Length: > 0 } actor ? $" by {actor}" : "";
        var artifactLink = artifact.Length > 0 ? $"/projects/{project}/artifacts/{Uri.EscapeDataString(artifact)}" : null;
        return type switch
        {
            PortalEventTypes.VersionCommitted => new(id, NewVersions, at, $"{artifact} {Version("version")} committed{by}", artifactLink),
            PortalEventTypes.AliasMoved => new(id, ProtectedAliasMoves, at,
                Version("to") is { Length: > 0 } to ? $"{F("alias")} of {artifact} moved to {to}{by}" : $"{F("alias")} of {artifact} removed{by}", artifactLink),
            PortalEventTypes.PromotionApproved => new(id, Decisions, at, $"promotion of {artifact} to {F("alias")} approved", PromotionLink(project, fields)),
            PortalEventTypes.PromotionRejected => new(id, Decisions, at, $"promotion of {artifact} to {F("alias")} rejected", PromotionLink(project, fields)),
            PortalEventTypes.PromotionApplied => new(id, Decisions, at, $"{F("alias")} of {artifact} promoted", PromotionLink(project, fields)),
            PortalEventTypes.ValidationFinished => new(id, FailedValidations, at, $"validation of {artifact} failed ({(fields.Integer("errors") is { } errors ? Plural.Count(errors, "error") : "? errors")})",
                Guid.TryParse(F("versionId"), out var version) && artifactLink is not null ? $"{artifactLink}/{version}" : artifactLink),
            PortalEventTypes.CompareReportFinished => new(id, CompareReports, at,
                F("summary") is { Length: > 0 } summary ? $"compare report: {summary}" : "compare report finished",
                Guid.TryParse(F("fromVersionId"), out var from) && Guid.TryParse(F("toVersionId"), out var to) ? $"/projects/{project}/compare?from={from}&to={to}" : null),
            _ => new(id, type, at, type.Replace('_', ' ').Replace('.', ' '), null),
        };
    }

    private static string? PromotionLink(string project, PayloadFields fields) =>
        Guid.TryParse(fields.String("requestId"), out var request) ? $"/projects/{project}/promotions/{request}" : null;

    private static async Task<HomeHealth> HealthAsync(PortalDbContext db, DateTimeOffset weekAgo, CancellationToken ct)
    {
        var findings = await db.Set<VersionIntegrityFlag>().CountAsync(ct);
        var failedJobs = await db.Set<MaintenanceRun>().CountAsync(r => r.State == MaintenanceRunState.Failed && r.QueuedAt >= weekAgo, ct);
        var storage = await db.StoredBlobs.AsNoTracking().GroupBy(_ => 1)
            .Select(g => new { Bytes = g.Sum(b => b.Size), Recent = g.Sum(b => b.StoredAt >= weekAgo ? b.Size : 0), Count = g.LongCount() })
            .SingleOrDefaultAsync(ct);
        return new HomeHealth(findings, failedJobs, storage?.Bytes ?? 0, storage?.Recent ?? 0, storage?.Count ?? 0);
    }

    private static async Task<IReadOnlyList<HomePinView>> PinsAsync(PortalDbContext db, string userId, IReadOnlyDictionary<Guid, string> slugOf, CancellationToken ct)
    {
        var pins = await db.Pins.AsNoTracking().Where(p => p.UserId == userId).OrderBy(p => p.PinnedAt).ToListAsync(ct);
        var artifactIds = pins.Where(p => p.Kind == PinKind.Artifact).Select(p => p.TargetId).ToList();
        var runIds = pins.Where(p => p.Kind == PinKind.Run).Select(p => p.TargetId).ToList();
        var artifacts = await db.Artifacts.AsNoTracking().Where(a => artifactIds.Contains(a.Id))
            .Select(a => new
            {
                a.Id,
                a.Name,
                Latest = a.Versions.Where(v => v.State == VersionState.Committed).OrderByDescending(v => v.Index)
                    .Select(v => new { v.Id, v.Index }).FirstOrDefault(),
            })
            .ToDictionaryAsync(a => a.Id, ct);
        var aliases = (await db.Aliases.AsNoTracking().Where(a => artifactIds.Contains(a.ArtifactId))
                .Select(a => new { a.ArtifactId, a.Name, a.Version.Index }).ToListAsync(ct))
            .ToLookup(a => a.ArtifactId);
        var latestIds = artifacts.Values.Where(a => a.Latest is not null).Select(a => a.Latest!.Id).ToList();
        var validations = await db.VersionValidations.AsNoTracking().Where(v => latestIds.Contains(v.VersionId))
            .ToDictionaryAsync(v => v.VersionId, v => v.State, ct);
        var runs = await db.Runs.AsNoTracking().Where(r => runIds.Contains(r.Id))
            .Select(r => new { r.Id, r.Name, r.JobType, r.Status }).ToDictionaryAsync(r => r.Id, ct);

        var views = new List<HomePinView>(pins.Count);
        foreach (var pin in pins)
        {
            // A pin in a project the person has left, or of something deleted since, is not shown (nor leaked).
            if (!slugOf.TryGetValue(pin.ProjectId, out var slug))
                continue;
            if (pin.Kind == PinKind.Artifact && artifacts.TryGetValue(pin.TargetId, out var artifact))
            {
                var latest = artifact.Latest?.Index is { } index ? ArtifactNames.FormatIndex(index) : null;
                var status = artifact.Latest is null ? "no versions yet"
                    : validations.TryGetValue(artifact.Latest.Id, out var validation) ? ValidationWord(validation) : "not validated";
                views.Add(new HomePinView(pin.Id, pin.Kind, slug, pin.TargetId, artifact.Name, latest,
                    aliases[artifact.Id].OrderBy(a => a.Name, StringComparer.Ordinal).Select(a => a.Index is { } i ? $"{a.Name} → {ArtifactNames.FormatIndex(i)}" : a.Name).ToList(),
                    status, $"/projects/{slug}/artifacts/{Uri.EscapeDataString(artifact.Name)}"));
            }
            else if (pin.Kind == PinKind.Run && runs.TryGetValue(pin.TargetId, out var run))
            {
                views.Add(new HomePinView(pin.Id, pin.Kind, slug, pin.TargetId, run.Name.Length > 0 ? run.Name : run.JobType, null, [],
                    run.Status.ToString().ToLowerInvariant(), $"/projects/{slug}/runs/{run.Id}"));
            }
        }

        return views;
    }

    private static string ValidationWord(BackgroundJobState state) => state switch
    {
        BackgroundJobState.Passed => "validation passed",
        BackgroundJobState.Failed => "validation failed",
        BackgroundJobState.Running => "validating",
        _ => "validation queued",
    };
}
