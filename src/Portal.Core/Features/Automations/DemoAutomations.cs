using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Events;
using Portal.Core.Features.Registry;

namespace Portal.Core.Features.Automations;

/// <summary>
/// The demo's automation: the <c>support-retriever</c> collection compares every newly linked version with the one
/// before it, with one run already made for the demo's second link.
/// </summary>
public sealed class DemoAutomations(IDbContextFactory<PortalDbContext> dbFactory, Automations automations, AutomationRunJob job, TimeProvider clock) : IDemoDataContributor
{
    public const string RuleName = "Compare each link with the previous version";

    public async Task SeedAsync(ClaimsPrincipal admin, string projectSlug, CancellationToken ct)
    {
        Guid collectionId;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var collection = await db.Projects.AsNoTracking().SingleOrDefaultAsync(p => p.Slug == DemoRegistry.CollectionName, ct);
            if (collection is null || await db.AutomationRules.AnyAsync(r => r.ProjectId == collection.Id, ct))
                return;
            collectionId = collection.Id;
        }

        var rule = await automations.CreateAsync(admin, AutomationScope.ForCollection(DemoRegistry.CollectionName),
            new CreateAutomationRequest(RuleName, AutomationTriggers.VersionLinked, AutomationActions.Compare), ct);

        // The links were made before the rule, so the dispatcher leaves them be; the demo's one run is for the newest.
        long runId;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var linked = await db.PortalEvents.AsNoTracking()
                .Where(e => e.ProjectId == collectionId && e.Type == PortalEventTypes.VersionLinked)
                .OrderByDescending(e => e.Id).FirstOrDefaultAsync(ct);
            if (linked is null)
                return;
            var run = new AutomationRun
            {
                RuleId = rule.Rule.Id,
                EventId = linked.Id,
                EventType = linked.Type,
                SubjectVersionId = AutomationEventFacts.From(linked).SubjectVersionId,
                Outcome = AutomationOutcome.Pending,
                Message = "Waiting for a worker.",
                CreatedAt = clock.GetUtcNow(),
            };
            db.AutomationRuns.Add(run);
            await db.SaveChangesAsync(ct);
            runId = run.Id;
        }

        await job.ExecuteAsync(runId, ct);
    }
}
