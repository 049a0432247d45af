using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Events;
using Portal.Core.Features.Promotions;
using Portal.Core.Features.Validation;

namespace Portal.Core.Features.Reports;

public sealed record DigestVersion(string Artifact, string Type, string Version, long FileCount, long TotalSize, string? By, DateTimeOffset At);

public sealed record DigestAliasMove(string Artifact, string Alias, string? From, string? To, string? By, string Reason, DateTimeOffset At);

public sealed record DigestPromotion(Guid RequestId, string Artifact, string Alias, string Version, string Outcome, string? By, string? Comment, DateTimeOffset At);

public sealed record DigestValidation(string Artifact, string Version, int Errors, int Warnings, string Summary, DateTimeOffset At);

public sealed record DigestWaiting(Guid RequestId, string Artifact, string Alias, string Version, string RequestedBy, string Comment, bool Review, DateTimeOffset At);

/// <summary>
/// Everything one digest lists for one project and period. Each section holds at most <see cref="DigestContent.MaxListed"/>
/// items; <see cref="Counts"/> holds the full numbers.
/// </summary>
public sealed record DigestReport(
    string ProjectSlug,
    string ProjectName,
    DigestFrequency Frequency,
    DateTimeOffset From,
    DateTimeOffset To,
    DigestCounts Counts,
    IReadOnlyList<DigestVersion> NewVersions,
    IReadOnlyList<DigestAliasMove> AliasMoves,
    IReadOnlyList<DigestPromotion> Promotions,
    IReadOnlyList<DigestValidation> FailedValidations,
    IReadOnlyList<DigestWaiting> Waiting)
{
    public bool IsEmpty => Counts.Total == 0;
}

/// <summary>
/// Reads what a digest lists from the tables the other features write: committed versions, alias events (the
/// automatic <c>latest</c> moves left out), promotion decisions from the outbox, failed validations, and the requests
/// waiting for the subscriber now. A fixed number of queries per digest, whatever the number of items.
/// </summary>
public sealed class DigestContent(IDbContextFactory<PortalDbContext> dbFactory, PromotionQueries promotions)
{
    public const int MaxListed = 50;

    private static readonly string[] PromotionEventTypes =
        [PortalEventTypes.PromotionApproved, PortalEventTypes.PromotionRejected, PortalEventTypes.PromotionApplied];

    public async Task<DigestReport> ComposeAsync(Guid projectId, string userId, DigestFrequency frequency, DateTimeOffset start, DateTimeOffset end, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var project = await db.Projects.AsNoTracking().Where(p => p.Id == projectId).Select(p => new { p.Slug, p.Name }).SingleAsync(ct);

        var versions = (
            from v in db.ArtifactVersions.AsNoTracking()
            join a in db.Artifacts on v.ArtifactId equals a.Id
            where a.ProjectId == projectId && v.State == VersionState.Committed && v.CommittedAt >= start && v.CommittedAt < end
            select new { v, a });
        var versionCount = await versions.CountAsync(ct);
        var newVersions = (await (
                    from x in versions
                    join u in db.Users on x.v.CreatedById equals u.Id into authors
                    from u in authors.DefaultIfEmpty()
                    orderby x.v.CommittedAt
                    select new { x.a.Name, x.a.Type, x.v.Index, x.v.FileCount, x.v.TotalSize, By = u == null ? null : u.DisplayName, x.v.CommittedAt })
                .Take(MaxListed).ToListAsync(ct))
            .Select(x => new DigestVersion(x.Name, x.Type, Label(x.Index), x.FileCount, x.TotalSize, x.By, x.CommittedAt!.Value))
            .ToList();

        var moves = (
            from e in db.AliasEvents.AsNoTracking()
            join a in db.Artifacts on e.ArtifactId equals a.Id
            where a.ProjectId == projectId && e.AliasName != ArtifactNames.Latest && e.At >= start && e.At < end
            select new { e, a });
        var moveCount = await moves.CountAsync(ct);
        var aliasMoves = (await (
                    from x in moves
                    join u in db.Users on x.e.ActorId equals u.Id into actors
                    from u in actors.DefaultIfEmpty()
                    orderby x.e.At
                    select new
                    {
                        x.a.Name,
                        x.e.AliasName,
                        From = db.ArtifactVersions.Where(v => v.Id == x.e.FromVersionId).Select(v => v.Index).FirstOrDefault(),
                        x.e.FromVersionId,
                        To = db.ArtifactVersions.Where(v => v.Id == x.e.ToVersionId).Select(v => v.Index).FirstOrDefault(),
                        x.e.ToVersionId,
                        By = u == null ? null : u.DisplayName,
                        x.e.Reason,
                        x.e.At,
                    })
                .Take(MaxListed).ToListAsync(ct))
            .Select(x => new DigestAliasMove(x.Name, x.AliasName, x.FromVersionId is null ? null : Label(x.From), x.ToVersionId is null ? null : Label(x.To), x.By, x.Reason, x.At))
            .ToList();

        var decisions = db.PortalEvents.AsNoTracking()
            .Where(e => e.ProjectId == projectId && PromotionEventTypes.Contains(e.Type) && e.OccurredAt >= start && e.OccurredAt < end);
        var decisionCount = await decisions.CountAsync(ct);
        var decided = await decisions.OrderBy(e => e.Id).Take(MaxListed).Select(e => new { e.Type, e.PayloadJson, e.OccurredAt }).ToListAsync(ct);
        var parsed = decided.Select(e => (e.Type, e.OccurredAt, Payload: PromotionPayload.Parse(e.PayloadJson))).ToList();
        var decidedVersionIds = parsed.Select(p => p.Payload.VersionId).Distinct().ToList();
        var indexes = await db.ArtifactVersions.AsNoTracking().Where(v => decidedVersionIds.Contains(v.Id))
            .Select(v => new { v.Id, v.Index }).ToDictionaryAsync(v => v.Id, v => v.Index, ct);
        var deciderIds = parsed.Select(p => p.Payload.ActorId).OfType<string>().Distinct().ToList();
        var deciders = await db.Users.AsNoTracking().Where(u => deciderIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
        // Approval comments live with the approvals, not in the event body.
        var approvedIds = parsed.Where(p => p.Type == PortalEventTypes.PromotionApproved).Select(p => p.Payload.RequestId).Distinct().ToList();
        var approvalComments = (await db.PromotionApprovals.AsNoTracking().Where(a => approvedIds.Contains(a.RequestId))
                .Select(a => new { a.RequestId, a.UserId, a.Comment }).ToListAsync(ct))
            .ToDictionary(a => (a.RequestId, a.UserId), a => a.Comment);
        string? Comment(string type, PromotionPayload p) =>
            type == PortalEventTypes.PromotionApproved && p.ActorId is { } approver ? approvalComments.GetValueOrDefault((p.RequestId, approver)) : p.Comment;
        var promotionItems = parsed.Select(p => new DigestPromotion(
                p.Payload.RequestId, p.Payload.Artifact, p.Payload.Alias, Label(indexes.GetValueOrDefault(p.Payload.VersionId)),
                p.Type[(p.Type.IndexOf('.', StringComparison.Ordinal) + 1)..],
                p.Payload.ActorId is { } actor ? deciders.GetValueOrDefault(actor) : null,
                Comment(p.Type, p.Payload), p.OccurredAt))
            .ToList();

        var failures = (
            from r in db.VersionValidations.AsNoTracking()
            where r.ProjectId == projectId && r.State == BackgroundJobState.Failed && r.FinishedAt >= start && r.FinishedAt < end
            join v in db.ArtifactVersions on r.VersionId equals v.Id
            join a in db.Artifacts on v.ArtifactId equals a.Id
            select new { r, v.Index, a.Name });
        var failureCount = await failures.CountAsync(ct);
        var failed = (await failures.OrderBy(x => x.r.FinishedAt).Take(MaxListed)
                .Select(x => new { x.Name, x.Index, x.r.Errors, x.r.Warnings, x.r.Summary, x.r.FinishedAt })
                .ToListAsync(ct))
            .Select(x => new DigestValidation(x.Name, Label(x.Index), x.Errors, x.Warnings, x.Summary, x.FinishedAt!.Value))
            .ToList();

        var queue = await promotions.QueueAsync(Data.DemoData.PrincipalFor(userId), PromotionQueueScope.Awaiting, project.Slug, ct: ct);
        var waiting = queue.OrderBy(r => r.CreatedAt).Take(MaxListed)
            .Select(r => new DigestWaiting(r.Id, r.Artifact, r.Alias, r.Version, r.RequestedBy, r.Comment, r.NeedsReview && !r.Actions.Approve, r.CreatedAt))
            .ToList();

        var counts = new DigestCounts(versionCount, moveCount, decisionCount, failureCount, queue.Count);
        return new DigestReport(project.Slug, project.Name, frequency, start, end, counts, newVersions, aliasMoves, promotionItems, failed, waiting);
    }

    private static string Label(int? index) => index is { } i ? ArtifactNames.FormatIndex(i) : "?";

    /// <summary>The parts of a <c>promotion.*</c> event body a digest shows (see <c>PromotionSteps.Payload</c>).</summary>
    private sealed record PromotionPayload(Guid RequestId, string Artifact, string Alias, Guid VersionId, string? ActorId, string? Comment)
    {
        public static PromotionPayload Parse(string json)
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            string? Text(JsonElement e, string name) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
            var details = root.TryGetProperty("details", out var d) ? d : default;
            return new PromotionPayload(
                root.TryGetProperty("requestId", out var id) && id.TryGetGuid(out var requestId) ? requestId : Guid.Empty,
                Text(root, "artifact") ?? "",
                Text(root, "alias") ?? "",
                root.TryGetProperty("versionId", out var v) && v.TryGetGuid(out var versionId) ? versionId : Guid.Empty,
                Text(details, "approvedBy") ?? Text(details, "rejectedBy"),
                Text(details, "comment"));
        }
    }
}
