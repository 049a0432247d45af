using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Client;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Compare;
using Portal.Core.Features.Events;
using Portal.Core.Features.Notifications;
using Portal.Core.Features.Validation;
using Portal.Core.Features.Webhooks;
using Portal.Core.Net;

namespace Portal.Core.Features.Automations;

/// <summary>
/// Performs one automation run: the rule's action for the event's version, then the outcome and a message that says
/// what was done (or why not).
/// </summary>
/// <remarks>
/// Idempotent: the run is first claimed (pending → running) with one conditional UPDATE, so a job that Hangfire runs
/// twice, or that the dispatcher queued again, acts at most once. The actions reuse what exists: compare reports and
/// validations are rows that their own jobs finish; evaluation requests go through the webhooks' HTTP client, so the
/// same outbound address guard applies; e-mail goes through the portal's sender.
/// </remarks>
public sealed class AutomationRunJob(
    IDbContextFactory<PortalDbContext> dbFactory,
    IBackgroundJobClient jobs,
    IHttpClientFactory httpClients,
    IOptionsMonitor<WebhookOptions> webhookOptions,
    IEmailSender email,
    TimeProvider clock,
    ILogger<AutomationRunJob> logger)
{
    public const string EvaluationRequestType = "automation.evaluation_request";
    private const int MessageLength = 1000;

    /// <summary>
    /// Runs the action if the run is pending (or was left running by a worker that died); returns its outcome afterwards
    /// (null when it does not exist).
    /// </summary>
    public async Task<AutomationOutcome?> ExecuteAsync(long runId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        var stale = now - AutomationDispatch.StaleAfter;
        var claimed = await db.AutomationRuns
            .Where(r => r.Id == runId && (r.Outcome == AutomationOutcome.Pending || r.Outcome == AutomationOutcome.Running && r.StartedAt < stale))
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Outcome, AutomationOutcome.Running).SetProperty(r => r.StartedAt, now)
                .SetProperty(r => r.Attempts, r => r.Attempts + 1), ct);
        var run = await db.AutomationRuns.SingleOrDefaultAsync(r => r.Id == runId, ct);
        if (claimed == 0 || run is null)
            return run?.Outcome;

        var rule = await db.AutomationRules.AsNoTracking().SingleOrDefaultAsync(r => r.Id == run.RuleId, ct);
        var portalEvent = await db.PortalEvents.AsNoTracking().SingleOrDefaultAsync(e => e.Id == run.EventId, ct);
        (AutomationOutcome Outcome, string Message) result;
        if (rule is null || portalEvent is null)
            result = (AutomationOutcome.Failed, "The rule or the event no longer exists.");
        else if (!rule.Enabled)
            result = (AutomationOutcome.Skipped, "The rule was disabled before this run started.");
        else
        {
            try
            {
                result = await ActAsync(db, rule, portalEvent, run, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Automation run {RunId} of rule {RuleId} failed", run.Id, run.RuleId);
                result = (AutomationOutcome.Failed, ex is PortalException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}");
            }
        }

        db.ChangeTracker.Clear();
        await db.AutomationRuns.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.Outcome, result.Outcome)
            .SetProperty(r => r.Message, Shorten(result.Message))
            .SetProperty(r => r.FinishedAt, clock.GetUtcNow()), ct);
        return result.Outcome;
    }

    private Task<(AutomationOutcome, string)> ActAsync(PortalDbContext db, AutomationRule rule, PortalEvent e, AutomationRun run, CancellationToken ct)
    {
        var facts = AutomationEventFacts.From(e);
        if (facts.SubjectVersionId is null)
            return Task.FromResult((AutomationOutcome.Skipped, "The event names no version (an alias was removed); nothing to act on."));
        return rule.Action switch
        {
            AutomationActions.Compare => CompareAsync(db, e, facts, ct),
            AutomationActions.Validate => ValidateAsync(db, e, facts.SubjectVersionId.Value, ct),
            AutomationActions.EvaluationRequest => RequestEvaluationAsync(db, rule, e, run, facts, ct),
            AutomationActions.Email => EmailAsync(db, rule, e, facts, ct),
            _ => Task.FromResult((AutomationOutcome.Failed, $"Unknown action '{rule.Action}'.")),
        };
    }

    private async Task<(AutomationOutcome, string)> CompareAsync(PortalDbContext db, PortalEvent e, AutomationEventFacts facts, CancellationToken ct)
    {
        var to = facts.SubjectVersionId!.Value;
        if (facts.PreviousVersionId is not { } from || from == to)
            return (AutomationOutcome.Skipped, $"{await LabelAsync(db, to, ct)} has no previous version to compare against.");
        if (!await CommittedAsync(db, from, ct) || !await CommittedAsync(db, to, ct))
            return (AutomationOutcome.Skipped, "One of the two versions is no longer committed; no report was made.");
        var (reportId, unfinished) = await CompareReportJob.EnsureQueuedAsync(db, e.ProjectId, from, to, "", clock.GetUtcNow(), ct);
        if (unfinished)
            jobs.Enqueue<CompareReportJob>(j => j.ExecuteAsync(reportId, CancellationToken.None));
        return (AutomationOutcome.Succeeded,
            $"Compare report {reportId} {(unfinished ? "queued" : "already made")}: {await LabelAsync(db, from, ct)} → {await LabelAsync(db, to, ct)}.");
    }

    private async Task<(AutomationOutcome, string)> ValidateAsync(PortalDbContext db, PortalEvent e, Guid versionId, CancellationToken ct)
    {
        if (!await CommittedAsync(db, versionId, ct))
            return (AutomationOutcome.Skipped, "The version is no longer committed; it was not validated.");
        var projectId = await db.ArtifactVersions.Where(v => v.Id == versionId).Select(v => v.Artifact.ProjectId).SingleAsync(ct);
        if (await ValidationJob.RequeueAsync(db, versionId, projectId, clock.GetUtcNow(), ct))
            jobs.Enqueue<ValidationJob>(j => j.ExecuteAsync(versionId, CancellationToken.None));
        return (AutomationOutcome.Succeeded, $"Validation of {await LabelAsync(db, versionId, ct)} queued.");
    }

    private async Task<(AutomationOutcome, string)> RequestEvaluationAsync(PortalDbContext db, AutomationRule rule, PortalEvent e, AutomationRun run, AutomationEventFacts facts, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(rule.Url) || string.IsNullOrEmpty(rule.Secret))
            return (AutomationOutcome.Failed, "The rule has no URL or secret.");
        var slug = await db.Projects.Where(p => p.Id == e.ProjectId).Select(p => p.Slug).SingleAsync(ct);
        var subject = facts.SubjectVersionId!.Value;
        var body = EvaluationRequestBody(run, rule, e, slug, subject, await LabelAsync(db, subject, ct), await DigestAsync(db, subject, ct));
        var settings = webhookOptions.CurrentValue;
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, rule.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation(WebhookSignature.SignatureHeader, WebhookSignature.Compute(rule.Secret, timestamp, body));
        request.Headers.TryAddWithoutValidation(WebhookSignature.TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(WebhookSignature.EventHeader, EvaluationRequestType);
        request.Headers.TryAddWithoutValidation(WebhookSignature.DeliveryHeader, run.Id.ToString(CultureInfo.InvariantCulture));
        request.Headers.UserAgent.ParseAdd("Portal-Automations/1");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(settings.Timeout);
        try
        {
            // The webhooks' client: connections go to public addresses only (checked on the address connected to).
            using var response = await httpClients.CreateClient(WebhookDeliveryJob.HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return response.IsSuccessStatusCode
                ? (AutomationOutcome.Succeeded, $"Evaluation request for {Label(body)} accepted: {(int)response.StatusCode} {response.ReasonPhrase}.")
                : (AutomationOutcome.Failed, $"The receiver answered {(int)response.StatusCode} {response.ReasonPhrase}.");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (AutomationOutcome.Failed, $"No answer within {settings.Timeout.TotalSeconds:0.#} s.");
        }
        catch (HttpRequestException ex)
        {
            return NonPublicAddressException.FindIn(ex) is { } refused
                ? (AutomationOutcome.Failed, $"Not sent ({ErrorCodes.AutomationUrlRefused}): {refused.Message}; automations may only call public addresses.")
                : (AutomationOutcome.Failed, ex.Message);
        }
    }

    private async Task<(AutomationOutcome, string)> EmailAsync(PortalDbContext db, AutomationRule rule, PortalEvent e, AutomationEventFacts facts, CancellationToken ct)
    {
        var recipients = await RecipientsQuery(db, e.ProjectId).ToListAsync(ct);
        if (recipients.Count == 0)
            return (AutomationOutcome.Skipped, "Nobody to e-mail: the project or collection has no members with an e-mail address.");
        var slug = await db.Projects.Where(p => p.Id == e.ProjectId).Select(p => p.Slug).SingleAsync(ct);
        var subject = facts.SubjectVersionId!.Value;
        var label = await LabelAsync(db, subject, ct);
        var what = e.Type switch
        {
            PortalEventTypes.VersionLinked => $"{label} was linked into {slug}",
            PortalEventTypes.AliasMoved => $"the alias {facts.Alias} of {slug} moved to {label}",
            _ => $"{label} was committed in {slug}",
        };
        var text = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"The automation rule \"{rule.Name}\" of {slug} was set off: {what}.")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Event: {e.Type} #{e.Id} at {e.OccurredAt:u}")
            .AppendLine(CultureInfo.InvariantCulture, $"Version: {label} ({await DigestAsync(db, subject, ct)})")
            .AppendLine()
            .AppendLine("You receive this as a member; a project or collection admin manages the rule on its Automations page.")
            .ToString();
        await email.SendAsync(new EmailMessage(recipients, $"[Portal] {rule.Name}: {what}", text), ct);
        return (AutomationOutcome.Succeeded, $"E-mailed {recipients.Count} member(s) about {label}.");
    }

    /// <summary>The members' addresses; public for the SQL Server translation check.</summary>
    public static IQueryable<string> RecipientsQuery(PortalDbContext db, Guid projectId) =>
        db.Memberships.AsNoTracking().Where(m => m.ProjectId == projectId && m.User.Email != null && m.User.Email != "")
            .Select(m => m.User.Email!).OrderBy(e => e);

    /// <summary>The request body: <c>{id, type, rule, project, event, subject}</c>.</summary>
    internal static byte[] EvaluationRequestBody(AutomationRun run, AutomationRule rule, PortalEvent e, string slug, Guid subjectId, string subjectLabel, string? digest)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("id", run.Id);
            json.WriteString("type", EvaluationRequestType);
            json.WriteStartObject("rule");
            json.WriteString("id", rule.Id);
            json.WriteString("name", rule.Name);
            json.WriteEndObject();
            json.WriteString("project", slug);
            json.WriteStartObject("event");
            json.WriteNumber("id", e.Id);
            json.WriteString("type", e.Type);
            json.WriteString("occurredAt", e.OccurredAt.ToUniversalTime());
            json.WritePropertyName("data");
            using (var data = JsonDocument.Parse(e.PayloadJson))
                data.RootElement.WriteTo(json);
            json.WriteEndObject();
            json.WriteStartObject("subject");
            json.WriteString("versionId", subjectId);
            json.WriteString("version", subjectLabel);
            json.WriteString("digest", digest);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static string Label(byte[] body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("subject").GetProperty("version").GetString() ?? "";
    }

    internal static async Task<string> LabelAsync(PortalDbContext db, Guid versionId, CancellationToken ct)
    {
        var row = await db.ArtifactVersions.AsNoTracking().Where(v => v.Id == versionId)
            .Select(v => new { v.Artifact.Name, v.Index }).SingleOrDefaultAsync(ct);
        return row is null ? versionId.ToString() : row.Index is { } i ? $"{row.Name}:{ArtifactNames.FormatIndex(i)}" : $"{row.Name} (uncommitted)";
    }

    private static Task<string?> DigestAsync(PortalDbContext db, Guid versionId, CancellationToken ct) =>
        db.ArtifactVersions.AsNoTracking().Where(v => v.Id == versionId).Select(v => v.ManifestDigest).SingleOrDefaultAsync(ct);

    private static Task<bool> CommittedAsync(PortalDbContext db, Guid versionId, CancellationToken ct) =>
        db.ArtifactVersions.AnyAsync(v => v.Id == versionId && v.State == VersionState.Committed, ct);

    private static string Shorten(string text) => text.Length <= MessageLength ? text : text[..(MessageLength - 1)] + "…";
}
