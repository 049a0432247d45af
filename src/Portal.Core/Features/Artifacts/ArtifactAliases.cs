using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Auditing;

namespace Portal.Core.Features.Artifacts;

/// <summary>Custom aliases (<c>staging</c>, <c>production</c> …): set, remove, and their history.</summary>
public sealed class ArtifactAliases(IDbContextFactory<PortalDbContext> dbFactory, ArtifactWrites writes, ProjectAccess access)
{
    private const int MaxReasonLength = 2000;

    public async Task<ArtifactAliasResponse> SetAsync(ClaimsPrincipal user, string slug, string name, string alias, SetAliasRequest request, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Contributor, ct);
        ArtifactNames.ValidateCustomAlias(alias);
        var reason = ValidateReason(request.Reason);
        if (string.IsNullOrWhiteSpace(request.Version))
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, "Say which version the alias should point at: \"version\": \"v3\" (or an alias, version id or digest).");

        // Two requests creating the same new alias at once: the unit's retry sees the winner's row and moves it.
        return await MoveAsync(grant, name, alias, request.Version.Trim(), reason, ct);
    }

    public async Task DeleteAsync(ClaimsPrincipal user, string slug, string name, string alias, string? reason = null, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Contributor, ct);
        ArtifactNames.ValidateCustomAlias(alias);
        var why = ValidateReason(reason);
        await writes.RunAsync(grant, name, async write =>
        {
            var (db, artifact, now) = (write.Db, write.Artifact, write.Now);
            var existing = await write.FindAliasAsync(alias, ct) ?? throw AliasNotFound(name, alias);
            await AliasMoves.RequireUnprotectedAsync(db, grant.Project.Id, grant.Project.Slug, name, [alias], ct);
            AliasMoves.Move(db, artifact.Id, existing, alias, null, grant.UserId, now, why);
            db.Record(now, grant.UserId, grant.Project.Id, "artifact_alias.removed", "artifact_alias", $"{artifact.Id}/{alias}",
                before: new { artifact = name, alias, versionId = existing.VersionId });
            return true;
        }, ct);
    }

    /// <summary>Every move of the alias, newest first (<c>latest</c> included).</summary>
    public async Task<IReadOnlyList<AliasEventResponse>> HistoryAsync(ClaimsPrincipal user, string slug, string name, string alias, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var artifact = await ArtifactCatalog.FindAsync(db, grant, name, ct);
        var events = await db.AliasEvents.AsNoTracking()
            .Where(e => e.ArtifactId == artifact.Id && e.AliasName == alias)
            .OrderByDescending(e => e.At).ThenByDescending(e => e.Id)
            .Take(1000)
            .ToListAsync(ct);
        if (events.Count == 0)
            throw AliasNotFound(name, alias);

        var ids = events.SelectMany(e => new[] { e.FromVersionId, e.ToVersionId }).OfType<Guid>().Distinct().ToList();
        var indexes = await db.ArtifactVersions.AsNoTracking()
            .Where(v => ids.Contains(v.Id))
            .Select(v => new { v.Id, v.Index })
            .ToDictionaryAsync(v => v.Id, v => v.Index, ct);
        string? Label(Guid? id) => id is { } v && indexes.GetValueOrDefault(v) is { } index ? ArtifactNames.FormatIndex(index) : null;
        return events
            .Select(e => new AliasEventResponse(e.AliasName, e.FromVersionId, Label(e.FromVersionId), e.ToVersionId, Label(e.ToVersionId), e.ActorId, e.At, e.Reason))
            .ToList();
    }

    /// <summary>The version the alias pointed at at <paramref name="time"/>: "what was in production on 3 March at 14:00".</summary>
    public async Task<ArtifactVersionResponse> AtAsync(ClaimsPrincipal user, string slug, string name, string alias, DateTimeOffset time, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var artifact = await ArtifactCatalog.FindAsync(db, grant, name, ct);
        var pointedAt = await LastEventAt(db, artifact.Id, alias, time).Select(e => new { e.ToVersionId }).FirstOrDefaultAsync(ct);
        var version = pointedAt?.ToVersionId is { } versionId
            ? await db.ArtifactVersions.AsNoTracking().SingleOrDefaultAsync(v => v.Id == versionId && v.State == VersionState.Committed, ct)
            : null;
        if (version is null)
        {
            throw PortalException.NotFound(ErrorCodes.AliasNotFound,
                $"Alias '{alias}' of artifact '{name}' did not point at any version at {time:O}.");
        }
        return await VersionQueries.ToResponseAsync(db, artifact, version, ct);
    }

    /// <summary>The alias's last move at or before <paramref name="time"/> (served by the (artifact, alias, at) index).</summary>
    internal static IQueryable<AliasEvent> LastEventAt(PortalDbContext db, Guid artifactId, string alias, DateTimeOffset time) =>
        db.AliasEvents.AsNoTracking()
            .Where(e => e.ArtifactId == artifactId && e.AliasName == alias && e.At <= time)
            .OrderByDescending(e => e.At).ThenByDescending(e => e.Id);

    private Task<ArtifactAliasResponse> MoveAsync(ProjectAccessGrant grant, string name, string alias, string reference, string reason, CancellationToken ct) =>
        writes.RunAsync(grant, name, async write =>
        {
            var (db, artifact, now) = (write.Db, write.Artifact, write.Now);
            await AliasMoves.RequireUnprotectedAsync(db, grant.Project.Id, grant.Project.Slug, name, [alias], ct);
            var version = await VersionQueries.ResolveAsync(db, artifact.Id, reference, ct)
                ?? throw PortalException.NotFound(ErrorCodes.VersionNotFound, $"Artifact '{name}' has no committed version '{reference}'.");
            var existing = await write.FindAliasAsync(alias, ct);
            var before = existing?.VersionId;
            AliasMoves.Move(db, artifact.Id, existing, alias, version.Id, grant.UserId, now, reason);
            if (before != version.Id)
            {
                db.Record(now, grant.UserId, grant.Project.Id, "artifact_alias.moved", "artifact_alias", $"{artifact.Id}/{alias}",
                    before: new { versionId = before }, after: new { artifact = name, alias, versionId = version.Id, version = ArtifactNames.FormatIndex(version.Index!.Value) });
            }
            var updatedAt = before == version.Id ? existing!.UpdatedAt : now;
            return new ArtifactAliasResponse(alias, version.Id, ArtifactNames.FormatIndex(version.Index!.Value), updatedAt);
        }, ct);

    private static string ValidateReason(string? reason)
    {
        var text = reason?.Trim() ?? "";
        if (text.Length > MaxReasonLength)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, $"A reason has at most {MaxReasonLength:N0} characters (got {text.Length:N0}).");
        return text;
    }

    private static PortalException AliasNotFound(string name, string alias) =>
        PortalException.NotFound(ErrorCodes.AliasNotFound, $"Artifact '{name}' has no alias '{alias}'.");
}
