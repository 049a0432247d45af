using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Notifications;

namespace Portal.Core.Features.Promotions;

/// <summary>
/// E-mail about promotion requests: to the eligible reviewers when a request opens (or is re-confirmed, or an
/// emergency change needs its review), and to the requester when it is decided. Sent after the change has committed;
/// a mail failure is logged and never undoes the change.
/// </summary>
public sealed class PromotionNotifications(IDbContextFactory<PortalDbContext> dbFactory, IEmailSender email, ILogger<PromotionNotifications> logger)
{
    public async Task RequestOpenedAsync(Guid requestId, CancellationToken ct)
    {
        await SendAsync(requestId, async (db, facts) =>
        {
            var reviewers = await (
                    from m in db.Memberships.AsNoTracking()
                    where m.ProjectId == facts.Request.ProjectId && m.UserId != facts.Request.RequestedById
                    join u in db.Users on m.UserId equals u.Id
                    select new { m.Role, u.Email })
                .ToListAsync(ct);
            var to = reviewers.Where(r => r.Role >= facts.ApproverRole && !string.IsNullOrEmpty(r.Email)).Select(r => r.Email!).Distinct().ToList();
            var what = facts.Request.Emergency
                ? $"{facts.Requester} moved {facts.Target} to {facts.Version} as an emergency change. It needs an after-the-fact review by a {facts.ApproverRole} or above."
                : $"{facts.Requester} asks to move {facts.Target} to {facts.Version}. It needs {facts.RequiredApprovals} approval(s) from a {facts.ApproverRole} or above.";
            var subject = facts.Request.Emergency
                ? $"[{facts.Slug}] Review the emergency change of {facts.Target}"
                : $"[{facts.Slug}] Review: {facts.Target} → {facts.Version}";
            return new EmailMessage(to, subject, Body(what, facts));
        }, ct);
    }

    public async Task DecidedAsync(Guid requestId, CancellationToken ct)
    {
        await SendAsync(requestId, async (db, facts) =>
        {
            var requester = await db.Users.AsNoTracking().Where(u => u.Id == facts.Request.RequestedById).Select(u => u.Email).SingleOrDefaultAsync(ct);
            var state = facts.Request.State.ToString().ToLowerInvariant();
            var what = facts.Request.State == PromotionState.Applied
                ? $"Your request to move {facts.Target} to {facts.Version} was approved and applied: {facts.Target} now points at {facts.Version}."
                : $"Your request to move {facts.Target} to {facts.Version} was {state}.";
            var lastWord = await db.PromotionComments.AsNoTracking()
                .Where(c => c.RequestId == facts.Request.Id && c.Text != "")
                .OrderByDescending(c => c.Id)
                .Select(c => c.Text)
                .FirstOrDefaultAsync(ct);
            if (facts.Request.State == PromotionState.Rejected && lastWord is not null)
                what += $"\n\nThe reviewer wrote: {lastWord}";
            return new EmailMessage(requester is null ? [] : [requester], $"[{facts.Slug}] {facts.Target} → {facts.Version}: {state}", Body(what, facts));
        }, ct);
    }

    private sealed record Facts(PromotionRequest Request, string Slug, string Target, string Version, string Requester, ProjectRole ApproverRole, int RequiredApprovals, string Link);

    private static string Body(string what, Facts facts) =>
        $"{what}\n\n{(string.IsNullOrWhiteSpace(facts.Request.Comment) ? "" : $"Comment: {facts.Request.Comment}\n\n")}Open the request: {facts.Link}\n";

    private async Task SendAsync(Guid requestId, Func<PortalDbContext, Facts, Task<EmailMessage>> compose, CancellationToken ct)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var request = await db.PromotionRequests.AsNoTracking().SingleAsync(r => r.Id == requestId, ct);
            var slug = await db.Projects.AsNoTracking().Where(p => p.Id == request.ProjectId).Select(p => p.Slug).SingleAsync(ct);
            var artifact = await db.Artifacts.AsNoTracking().Where(a => a.Id == request.ArtifactId).Select(a => a.Name).SingleAsync(ct);
            var index = await db.ArtifactVersions.AsNoTracking().Where(v => v.Id == request.VersionId).Select(v => v.Index).SingleAsync(ct);
            var requester = await db.Users.AsNoTracking().Where(u => u.Id == request.RequestedById).Select(u => u.DisplayName).SingleOrDefaultAsync(ct) ?? "Someone";
            var policy = await PromotionPolicies.FindAsync(db, request.ProjectId, request.AliasName, ct);
            var facts = new Facts(request, slug, $"{artifact}:{request.AliasName}", $"v{index}", requester,
                policy?.ApproverRole ?? ProjectRole.Reviewer, policy?.RequiredApprovals ?? 1, $"/projects/{slug}/promotions/{request.Id}");
            var message = await compose(db, facts);
            await email.SendAsync(message, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Could not send the e-mail about promotion request {RequestId}", requestId);
        }
    }
}
