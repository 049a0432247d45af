using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Auditing;

namespace Portal.Core.Features.Maintenance;

/// <summary>A project's retention settings (members read, admins change) and what retention removed (admins).</summary>
public sealed class RetentionPolicies(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access, TimeProvider clock)
{
    public const int MaxKeepDays = 36_500;

    public async Task<IReadOnlyList<RetentionPolicyResponse>> ListAsync(ClaimsPrincipal user, string slug, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.RetentionPolicies.AsNoTracking().Where(p => p.ProjectId == grant.Project.Id)
            .Select(p => new { p.ArtifactType, p.KeepDays, p.UpdatedAt, UpdatedBy = db.Users.Where(u => u.Id == p.UpdatedById).Select(u => u.Email).FirstOrDefault() })
            .ToListAsync(ct);
        return rows.OrderBy(p => p.ArtifactType == RetentionPolicy.AnyType ? 1 : 0).ThenBy(p => p.ArtifactType, StringComparer.Ordinal)
            .Select(p => new RetentionPolicyResponse(p.ArtifactType, p.KeepDays, p.UpdatedAt, p.UpdatedBy)).ToList();
    }

    /// <summary>Sets how long versions of <paramref name="artifactType"/> (or <c>*</c>) are kept (project admins).</summary>
    public async Task<RetentionPolicyResponse> PutAsync(ClaimsPrincipal user, string slug, string artifactType, RetentionPolicyRequest request, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Admin, ct);
        if (artifactType != RetentionPolicy.AnyType)
            ArtifactNames.ValidateType(artifactType);
        if (request.KeepDays is < 1 or > MaxKeepDays)
        {
            throw PortalException.BadRequest(ErrorCodes.RetentionPolicyInvalid,
                $"keepDays must be between 1 and {MaxKeepDays:N0} (got {request.KeepDays}); to keep versions for ever, delete the policy.");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        var policy = await db.RetentionPolicies.SingleOrDefaultAsync(p => p.ProjectId == grant.Project.Id && p.ArtifactType == artifactType, ct);
        var before = policy is null ? null : new { policy.KeepDays };
        if (policy is null)
        {
            policy = new RetentionPolicy { ProjectId = grant.Project.Id, ArtifactType = artifactType };
            db.RetentionPolicies.Add(policy);
        }
        policy.KeepDays = request.KeepDays;
        policy.UpdatedAt = now;
        policy.UpdatedById = grant.UserId;
        db.Record(now, grant.UserId, grant.Project.Id, "retention_policy.set", "retention_policy", artifactType, before, new { request.KeepDays });
        await db.SaveChangesAsync(ct);
        var email = await db.Users.AsNoTracking().Where(u => u.Id == grant.UserId).Select(u => u.Email).FirstOrDefaultAsync(ct);
        return new RetentionPolicyResponse(artifactType, policy.KeepDays, now, email);
    }

    public async Task DeleteAsync(ClaimsPrincipal user, string slug, string artifactType, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Admin, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var policy = await db.RetentionPolicies.SingleOrDefaultAsync(p => p.ProjectId == grant.Project.Id && p.ArtifactType == artifactType, ct)
            ?? throw PortalException.NotFound(ErrorCodes.RetentionPolicyNotFound, $"Project '{slug}' has no retention policy for '{artifactType}'.");
        db.RetentionPolicies.Remove(policy);
        db.Record(clock.GetUtcNow(), grant.UserId, grant.Project.Id, "retention_policy.deleted", "retention_policy", artifactType, new { policy.KeepDays });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The versions retention removed from the project, newest first (project admins).</summary>
    public async Task<IReadOnlyList<RetentionRemovalResponse>> RemovalsAsync(ClaimsPrincipal user, string slug, int? limit, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Admin, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var events = await db.AuditEvents.AsNoTracking()
            .Where(e => e.ProjectId == grant.Project.Id && e.Action == RetentionJob.RetiredAction)
            .OrderByDescending(e => e.Sequence)
            .Take(Math.Clamp(limit ?? 100, 1, 1000))
            .Select(e => new { e.TargetId, e.At, e.AfterJson })
            .ToListAsync(ct);
        return events.Select(e =>
        {
            using var after = System.Text.Json.JsonDocument.Parse(e.AfterJson ?? "{}");
            string Read(string name) => after.RootElement.TryGetProperty(name, out var v) ? v.GetString() ?? "" : "";
            return new RetentionRemovalResponse(Guid.Parse(e.TargetId), Read("artifact"), Read("version"), e.At, Read("reason"));
        }).ToList();
    }
}

/// <summary>Integrity problems the scrub found in a version's blobs.</summary>
public sealed class VersionIntegrity(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access)
{
    public async Task<IReadOnlyList<VersionIntegrityIssueResponse>> ListAsync(ClaimsPrincipal user, string slug, Guid versionId, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.VersionIntegrityFlags.AsNoTracking()
            .Where(f => f.VersionId == versionId && db.ArtifactVersions.Any(v => v.Id == versionId && v.Artifact.ProjectId == grant.Project.Id))
            .OrderBy(f => f.Path)
            .Take(500)
            .ToListAsync(ct);
        return rows.Select(f => new VersionIntegrityIssueResponse(f.Path, f.Digest, f.Problem.ToString().ToLowerInvariant(), f.DetectedAt)).ToList();
    }
}
