using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Auditing;

namespace Portal.Core.Features.Validation;

/// <summary>Rule sets per project and artifact type: anyone in the project reads them, project admins change them.</summary>
public sealed class ValidationRuleSets(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access, TimeProvider clock)
{
    private static readonly HashSet<string> FieldTypes = ["any", "string", "number", "integer", "boolean", "object", "array"];

    public async Task<IReadOnlyList<ValidationRuleSetResponse>> ListAsync(ClaimsPrincipal user, string slug, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var sets = await db.ValidationRuleSets.AsNoTracking().Where(r => r.ProjectId == grant.Project.Id).ToListAsync(ct);
        var result = sets.OrderBy(s => s.ArtifactType == ValidationRuleSet.AnyType ? "" : s.ArtifactType, StringComparer.Ordinal).Select(ToResponse).ToList();
        if (!sets.Any(s => s.ArtifactType == ValidationRuleSet.AnyType))
            result.Insert(0, new ValidationRuleSetResponse(ValidationRuleSet.AnyType, new ValidationRules(), true, null, null));
        return result;
    }

    public async Task<ValidationRuleSetResponse> GetAsync(ClaimsPrincipal user, string slug, string artifactType, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        RequireType(artifactType);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var set = await db.ValidationRuleSets.AsNoTracking().SingleOrDefaultAsync(r => r.ProjectId == grant.Project.Id && r.ArtifactType == artifactType, ct);
        if (set is not null)
            return ToResponse(set);
        return new ValidationRuleSetResponse(artifactType, await ResolveAsync(db, grant.Project.Id, artifactType, ct), true, null, null);
    }

    public async Task<ValidationRuleSetResponse> PutAsync(ClaimsPrincipal user, string slug, string artifactType, ValidationRules rules, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Admin, ct);
        RequireType(artifactType);
        Validate(rules);
        var now = clock.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var set = await db.ValidationRuleSets.SingleOrDefaultAsync(r => r.ProjectId == grant.Project.Id && r.ArtifactType == artifactType, ct);
        var before = set?.RulesJson;
        if (set is null)
        {
            set = new ValidationRuleSet { Id = Guid.NewGuid(), ProjectId = grant.Project.Id, ArtifactType = artifactType };
            db.ValidationRuleSets.Add(set);
        }

        set.RulesJson = JsonSerializer.Serialize(rules, ValidationJob.Json);
        set.UpdatedAt = now;
        set.UpdatedById = grant.UserId;
        db.Record(now, grant.UserId, grant.Project.Id, "validation_rules.updated", "validation_rules", artifactType,
            before: before is null ? null : JsonDocument.Parse(before).RootElement, after: rules);
        await db.SaveChangesAsync(ct);
        return ToResponse(set);
    }

    /// <summary>Removes a type's own rules, so the project's default (<c>*</c>) applies again.</summary>
    public async Task DeleteAsync(ClaimsPrincipal user, string slug, string artifactType, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Admin, ct);
        RequireType(artifactType);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var set = await db.ValidationRuleSets.SingleOrDefaultAsync(r => r.ProjectId == grant.Project.Id && r.ArtifactType == artifactType, ct);
        if (set is null)
            return;
        db.ValidationRuleSets.Remove(set);
        db.Record(clock.GetUtcNow(), grant.UserId, grant.Project.Id, "validation_rules.deleted", "validation_rules", artifactType, before: JsonDocument.Parse(set.RulesJson).RootElement);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The rules that apply to a type: its own, else the project's default, else the built-in defaults.</summary>
    public static async Task<ValidationRules> ResolveAsync(PortalDbContext db, Guid projectId, string artifactType, CancellationToken ct)
    {
        var sets = await db.ValidationRuleSets.AsNoTracking()
            .Where(r => r.ProjectId == projectId && (r.ArtifactType == artifactType || r.ArtifactType == ValidationRuleSet.AnyType))
            .ToListAsync(ct);
        var set = sets.FirstOrDefault(s => s.ArtifactType == artifactType) ?? sets.FirstOrDefault();
        return set is null ? new ValidationRules() : JsonSerializer.Deserialize<ValidationRules>(set.RulesJson, ValidationJob.Json) ?? new ValidationRules();
    }

    private static ValidationRuleSetResponse ToResponse(ValidationRuleSet set) =>
        new(set.ArtifactType, JsonSerializer.Deserialize<ValidationRules>(set.RulesJson, ValidationJob.Json) ?? new ValidationRules(), false, set.UpdatedAt, set.UpdatedById);

    private static void RequireType(string artifactType)
    {
        if (artifactType != ValidationRuleSet.AnyType)
            ArtifactNames.ValidateType(artifactType);
    }

    internal static void Validate(ValidationRules rules)
    {
        var errors = new List<string>();
        foreach (var (name, value) in new[]
                 {
                     ("schemaSeverity", rules.SchemaSeverity), ("piiSeverity", rules.PiiSeverity), ("licenseSeverity", rules.LicenseSeverity),
                     ("boundsSeverity", rules.BoundsSeverity), ("duplicatesSeverity", rules.DuplicatesSeverity),
                     ("emptyFilesSeverity", rules.EmptyFilesSeverity), ("driftSeverity", rules.DriftSeverity),
                 })
        {
            if (!CheckSeverity.All.Contains(value))
                errors.Add($"{name} must be one of {string.Join(", ", CheckSeverity.All)}.");
        }

        // A request body can say null where the model has a default.
        var fields = rules.RequiredFields ?? [];
        if (rules.RequiredFields is null)
            errors.Add("requiredFields must be a list (empty for none).");
        if (fields.Count > 100)
            errors.Add("At most 100 required fields.");
        foreach (var field in fields)
        {
            if (field is null || string.IsNullOrWhiteSpace(field.Name) || field.Name.Length > 200 || field.Name.Contains('\0', StringComparison.Ordinal))
                errors.Add("Every required field needs a name of at most 200 characters (no NUL).");
            else if (field.Type is null || !FieldTypes.Contains(field.Type))
                errors.Add($"Field '{field.Name}': type must be one of {string.Join(", ", FieldTypes)}.");
        }

        if (rules.DriftWarnPsi <= 0 || rules.DriftFailPsi < rules.DriftWarnPsi)
            errors.Add("driftWarnPsi must be above 0 and driftFailPsi at least driftWarnPsi.");
        if (rules.MaxFiles < 0 || rules.MaxRows < 0 || rules.MinRows < 0 || rules.MaxTotalBytes < 0)
            errors.Add("Bounds cannot be negative.");
        if (errors.Count > 0)
            throw PortalException.BadRequest(ErrorCodes.ValidationRulesInvalid, string.Join(" ", errors));
    }
}
