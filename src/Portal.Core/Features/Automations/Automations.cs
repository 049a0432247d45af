using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Auditing;
using Portal.Core.Features.Projects;
using Portal.Core.Features.Registry;
using Portal.Core.Features.Webhooks;
using Portal.Core.Net;

namespace Portal.Core.Features.Automations;

/// <summary>Where a rule lives: a project (by slug) or a registry collection (by name).</summary>
public sealed record AutomationScope(string Name, bool Collection)
{
    public static AutomationScope Project(string slug) => new(slug, false);

    public static AutomationScope ForCollection(string name) => new(name, true);
}

/// <summary>
/// Automation rules and their runs. Readers of a project or collection list them (without the URL unless admin);
/// admins add, change and delete them: an evaluation request calls out of the portal, so rules are managed with the
/// same role as webhooks.
/// </summary>
public sealed partial class Automations(
    IDbContextFactory<PortalDbContext> dbFactory,
    ProjectAccess access,
    RegistryCollections collections,
    TimeProvider clock,
    IOptions<WebhookOptions> webhookOptions)
{
    public const int MaxRulesPerScope = 50;
    public const int DefaultRunPage = 50;
    public const int MaxRunPage = 200;

    public async Task<IReadOnlyList<AutomationRuleResponse>> ListAsync(ClaimsPrincipal user, AutomationScope scope, CancellationToken ct = default)
    {
        var grant = await RequireAsync(user, scope, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rules = await db.AutomationRules.AsNoTracking().Where(r => r.ProjectId == grant.Project.Id).OrderBy(r => r.CreatedAt).ThenBy(r => r.Name).ToListAsync(ct);
        var ids = rules.Select(r => r.Id).ToList();
        var last = await LastRunsQuery(db, ids).ToListAsync(ct);
        var runs = await ToResponsesAsync(db, last, ct);
        var creators = await CreatorsAsync(db, rules, ct);
        return rules.Select(r => ToResponse(r, grant, runs.FirstOrDefault(x => x.RuleId == r.Id), creators)).ToList();
    }

    public async Task<CreatedAutomationResponse> CreateAsync(ClaimsPrincipal user, AutomationScope scope, CreateAutomationRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var grant = await RequireAsync(user, scope, ProjectRole.Admin, ct);
        var name = ValidateName(request.Name);
        var trigger = (request.Trigger ?? "").Trim();
        if (!AutomationTriggers.All.Contains(trigger, StringComparer.Ordinal))
            throw Invalid($"'{Cut(trigger)}' is not a trigger; use {string.Join(", ", AutomationTriggers.All)}.");
        if (trigger == AutomationTriggers.VersionLinked && grant.Project.Kind != ProjectKind.Registry)
            throw Invalid("version.linked happens in registry collections; add the rule to the collection, or use version.committed in a project.");
        var action = (request.Action ?? "").Trim();
        if (!AutomationActions.All.Contains(action, StringComparer.Ordinal))
            throw Invalid($"'{Cut(action)}' is not an action; use {string.Join(", ", AutomationActions.All)}.");
        var rule = new AutomationRule
        {
            Id = Guid.NewGuid(),
            ProjectId = grant.Project.Id,
            Name = name,
            Trigger = trigger,
            Action = action,
            Enabled = request.Enabled,
            CreatedById = grant.UserId,
            CreatedAt = clock.GetUtcNow(),
        };
        ApplyFilters(rule, request.ArtifactType, request.Alias);
        if (action == AutomationActions.EvaluationRequest)
        {
            rule.Url = ValidateUrl(request.Url, webhookOptions.Value.AllowPrivateAddresses);
            rule.Secret = "whsec_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        }
        else if (!string.IsNullOrWhiteSpace(request.Url))
            throw Invalid("Only evaluation_request rules take a URL; leave it out.");

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.AutomationRules.CountAsync(r => r.ProjectId == grant.Project.Id, ct) >= MaxRulesPerScope)
            throw Invalid($"'{grant.Project.Slug}' has {MaxRulesPerScope} rules, the most it may have; delete one first.");
        db.AutomationRules.Add(rule);
        db.Record(rule.CreatedAt, grant.UserId, grant.Project.Id, "automation.created", "automation_rule", rule.Id.ToString(), after: AuditView(rule));
        await db.SaveChangesAsync(ct);
        return new CreatedAutomationResponse(ToResponse(rule, grant, null, await CreatorsAsync(db, [rule], ct)), rule.Secret);
    }

    public async Task<AutomationRuleResponse> UpdateAsync(ClaimsPrincipal user, AutomationScope scope, Guid id, UpdateAutomationRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var grant = await RequireAsync(user, scope, ProjectRole.Admin, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rule = await FindAsync(db, grant, id, ct);
        var before = AuditView(rule);
        if (request.Name is not null)
            rule.Name = ValidateName(request.Name);
        if (request.Enabled is { } enabled)
            rule.Enabled = enabled;
        ApplyFilters(rule, request.ArtifactType ?? (rule.ArtifactType ?? ""), request.Alias ?? (rule.AliasName ?? ""));
        if (request.Url is not null)
        {
            if (rule.Action != AutomationActions.EvaluationRequest)
                throw Invalid("Only evaluation_request rules take a URL.");
            rule.Url = ValidateUrl(request.Url, webhookOptions.Value.AllowPrivateAddresses);
        }
        db.Record(clock.GetUtcNow(), grant.UserId, grant.Project.Id, "automation.updated", "automation_rule", rule.Id.ToString(), before, AuditView(rule));
        await db.SaveChangesAsync(ct);
        var last = await ToResponsesAsync(db, await LastRunsQuery(db, [rule.Id]).ToListAsync(ct), ct);
        return ToResponse(rule, grant, last.FirstOrDefault(), await CreatorsAsync(db, [rule], ct));
    }

    /// <summary>Deletes the rule with its runs.</summary>
    public async Task DeleteAsync(ClaimsPrincipal user, AutomationScope scope, Guid id, CancellationToken ct = default)
    {
        var grant = await RequireAsync(user, scope, ProjectRole.Admin, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rule = await FindAsync(db, grant, id, ct);
        db.AutomationRules.Remove(rule);
        db.Record(clock.GetUtcNow(), grant.UserId, grant.Project.Id, "automation.deleted", "automation_rule", rule.Id.ToString(), before: AuditView(rule));
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The rule's runs, newest first; <paramref name="before"/> pages by run id.</summary>
    public async Task<PagedResponse<AutomationRunResponse>> ListRunsAsync(
        ClaimsPrincipal user, AutomationScope scope, Guid id, int? limit = null, long? before = null, CancellationToken ct = default)
    {
        var grant = await RequireAsync(user, scope, ProjectRole.Viewer, ct);
        var pageSize = limit ?? DefaultRunPage;
        if (pageSize is < 1 or > MaxRunPage)
            throw PortalException.BadRequest(ErrorCodes.LimitInvalid, $"limit must be between 1 and {MaxRunPage}.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rule = await FindAsync(db, grant, id, ct);
        var total = await db.AutomationRuns.CountAsync(r => r.RuleId == rule.Id, ct);
        var page = await RunsPageQuery(db, rule.Id, before, pageSize + 1).ToListAsync(ct);
        var more = page.Count > pageSize;
        if (more)
            page.RemoveAt(page.Count - 1);
        var token = more ? page[^1].Id.ToString(CultureInfo.InvariantCulture) : null;
        return new PagedResponse<AutomationRunResponse>(await ToResponsesAsync(db, page, ct), total, token);
    }

    /// <summary>One page of a rule's runs, newest first; public for the SQL Server translation check.</summary>
    public static IQueryable<AutomationRun> RunsPageQuery(PortalDbContext db, Guid ruleId, long? before, int take)
    {
        var query = db.AutomationRuns.AsNoTracking().Where(r => r.RuleId == ruleId);
        if (before is { } b)
            query = query.Where(r => r.Id < b);
        return query.OrderByDescending(r => r.Id).Take(take);
    }

    /// <summary>The newest run of each rule; public for the SQL Server translation check.</summary>
    public static IQueryable<AutomationRun> LastRunsQuery(PortalDbContext db, List<Guid> ruleIds) =>
        db.AutomationRuns.AsNoTracking()
            .Where(r => ruleIds.Contains(r.RuleId) && r.Id == db.AutomationRuns.Where(x => x.RuleId == r.RuleId).Max(x => x.Id));

    private async Task<ProjectAccessGrant> RequireAsync(ClaimsPrincipal user, AutomationScope scope, ProjectRole role, CancellationToken ct)
    {
        if (scope.Collection)
            return await collections.RequireAsync(user, scope.Name, role, ct);
        var grant = await access.RequireAsync(user, scope.Name, role, ct);
        return grant.Project.Kind == ProjectKind.Project
            ? grant
            : throw PortalException.NotFound(ErrorCodes.ProjectNotFound, $"'{scope.Name}' is a registry collection; its rules are under /api/v1/registry/collections/{scope.Name}/automations.");
    }

    private static void ApplyFilters(AutomationRule rule, string? artifactType, string? alias)
    {
        artifactType = string.IsNullOrWhiteSpace(artifactType) ? null : artifactType.Trim();
        alias = string.IsNullOrWhiteSpace(alias) ? null : alias.Trim();
        if (artifactType is not null && rule.Trigger != AutomationTriggers.VersionCommitted)
            throw Invalid("Only version.committed rules filter by artifact type.");
        if (alias is not null && rule.Trigger != AutomationTriggers.AliasMoved)
            throw Invalid("Only alias.moved rules filter by alias.");
        if (artifactType is not null && !TypePattern().IsMatch(artifactType))
            throw Invalid($"'{Cut(artifactType)}' is not an artifact type; a type is one lower-case word such as dataset, index or model.");
        if (alias is not null && !AliasPattern().IsMatch(alias))
            throw Invalid($"'{Cut(alias)}' is not an alias name; use letters, digits, '.', '_' or '-' (at most 128).");
        rule.ArtifactType = artifactType;
        rule.AliasName = alias;
    }

    private static string ValidateName(string? name)
    {
        name = name?.Trim() ?? "";
        return name.Length is >= 1 and <= 200 && !name.Any(char.IsControl)
            ? name
            : throw Invalid("A rule needs a name of 1 to 200 characters without control characters.");
    }

    internal static string ValidateUrl(string? url, bool allowPrivate)
    {
        url = url?.Trim() ?? "";
        if (url.Length is 0 or > 2000
            || !Uri.TryCreate(url, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host))
        {
            throw Invalid($"'{Cut(url)}' is not a URL for the evaluation request; give an absolute http:// or https:// address of at most 2000 characters.");
        }

        // Names that resolve to internal addresses are refused again at every connection; this only answers the obvious case early.
        if (!allowPrivate && PublicAddresses.IsPlainlyPrivate(uri.Host))
        {
            throw PortalException.BadRequest(ErrorCodes.AutomationUrlRefused,
                $"'{uri.Host}' is a loopback, private or otherwise non-public address; automations may only call public addresses, as webhooks (an operator can allow others with Webhooks:AllowPrivateAddresses).");
        }

        return uri.AbsoluteUri;
    }

    private static PortalException Invalid(string message) => PortalException.BadRequest(ErrorCodes.AutomationInvalid, message);

    private static string Cut(string text) => text.Length > 100 ? text[..100] + "…" : text;

    private static async Task<AutomationRule> FindAsync(PortalDbContext db, ProjectAccessGrant grant, Guid id, CancellationToken ct) =>
        await db.AutomationRules.SingleOrDefaultAsync(r => r.Id == id && r.ProjectId == grant.Project.Id, ct)
        ?? throw PortalException.NotFound(ErrorCodes.AutomationNotFound, $"'{grant.Project.Slug}' has no automation rule {id}; list them to find its id.");

    private static object AuditView(AutomationRule r) => new { r.Name, r.Trigger, artifactType = r.ArtifactType, alias = r.AliasName, r.Action, r.Url, r.Enabled };

    private static async Task<Dictionary<string, string>> CreatorsAsync(PortalDbContext db, List<AutomationRule> rules, CancellationToken ct)
    {
        var ids = rules.Select(r => r.CreatedById).OfType<string>().Distinct().ToList();
        return await db.Users.AsNoTracking().Where(u => ids.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Email ?? u.Id, ct);
    }

    private static AutomationRuleResponse ToResponse(AutomationRule r, ProjectAccessGrant grant, AutomationRunResponse? last, Dictionary<string, string> creators) => new(
        r.Id,
        grant.Project.Kind == ProjectKind.Registry ? "collection" : "project",
        r.Name,
        r.Trigger,
        r.ArtifactType,
        r.AliasName,
        r.Action,
        grant.Role >= ProjectRole.Admin ? r.Url : null,
        r.Enabled,
        r.CreatedAt,
        r.CreatedById is { } c ? creators.GetValueOrDefault(c, c) : null,
        last);

    internal static async Task<List<AutomationRunResponse>> ToResponsesAsync(PortalDbContext db, List<AutomationRun> runs, CancellationToken ct)
    {
        var versionIds = runs.Select(r => r.SubjectVersionId).OfType<Guid>().Distinct().ToList();
        var labels = (await db.ArtifactVersions.AsNoTracking().Where(v => versionIds.Contains(v.Id))
                .Select(v => new { v.Id, v.Artifact.Name, v.Index }).ToListAsync(ct))
            .ToDictionary(v => v.Id, v => v.Index is { } i ? $"{v.Name}:{Artifacts.ArtifactNames.FormatIndex(i)}" : v.Name);
        return runs.Select(r => new AutomationRunResponse(
                r.Id, r.RuleId, r.EventId, r.EventType, r.SubjectVersionId,
                r.SubjectVersionId is { } v ? labels.GetValueOrDefault(v) : null,
                r.Outcome.ToString().ToLowerInvariant(), r.Message, r.CreatedAt, r.StartedAt, r.FinishedAt))
            .ToList();
    }

    [GeneratedRegex("^[a-z][a-z0-9_]{0,63}$")]
    private static partial Regex TypePattern();

    [GeneratedRegex("^[A-Za-z0-9._-]{1,128}$")]
    private static partial Regex AliasPattern();
}
