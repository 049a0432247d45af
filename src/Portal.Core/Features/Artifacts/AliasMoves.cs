using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Core.Data;

namespace Portal.Core.Features.Artifacts;

/// <summary>
/// Moving an alias always leaves an <see cref="AliasEvent"/>, whoever moves it; and no one moves a protected alias
/// (one with a promotion policy) directly: that takes a promotion request.
/// </summary>
internal static class AliasMoves
{
    /// <summary>Points <paramref name="name"/> at <paramref name="toVersionId"/> (null removes it). No event when nothing changes.</summary>
    internal static void Move(PortalDbContext db, Guid artifactId, ArtifactAlias? existing, string name, Guid? toVersionId, string actorId, DateTimeOffset now, string reason, Guid? promotionRequestId = null)
    {
        var from = existing?.VersionId;
        if (from == toVersionId)
            return;
        if (toVersionId is null)
            db.Aliases.Remove(existing!);
        else if (existing is null)
            db.Aliases.Add(new ArtifactAlias { Id = Guid.NewGuid(), ArtifactId = artifactId, Name = name, VersionId = toVersionId.Value, UpdatedAt = now });
        else
        {
            existing.VersionId = toVersionId.Value;
            existing.UpdatedAt = now;
        }
        db.AliasEvents.Add(new AliasEvent
        {
            ArtifactId = artifactId,
            AliasName = name,
            FromVersionId = from,
            ToVersionId = toVersionId,
            ActorId = actorId,
            At = now,
            Reason = reason,
            PromotionRequestId = promotionRequestId,
        });
        ArtifactEvents.RaiseAliasMoved(db, artifactId, name, from, toVersionId, actorId, now, reason);
    }

    /// <summary>
    /// Refuses a direct move of a protected alias (API, CLI, UI, or an alias requested at upload) with
    /// <c>alias_protected</c> and the way to ask for it instead.
    /// </summary>
    internal static async Task RequireUnprotectedAsync(PortalDbContext db, Guid projectId, string slug, string artifact, IEnumerable<string> aliases, CancellationToken ct)
    {
        var names = aliases.Distinct(StringComparer.Ordinal).ToList();
        if (names.Count == 0)
            return;
        var protectedAlias = await db.PromotionPolicies.AsNoTracking()
            .Where(p => p.ProjectId == projectId && names.Contains(p.AliasName))
            .OrderBy(p => p.AliasName)
            .Select(p => p.AliasName)
            .FirstOrDefaultAsync(ct);
        if (protectedAlias is not null)
        {
            throw PortalException.Conflict(ErrorCodes.AliasProtected,
                $"Alias '{protectedAlias}' is protected by a promotion policy and cannot be set directly. Ask for a promotion instead: " +
                $"'portal artifact promote {artifact}:vN --to {protectedAlias}', or POST /api/v1/projects/{slug}/artifacts/{artifact}/promotions.",
                new Dictionary<string, object?>
                {
                    ["alias"] = protectedAlias,
                    ["promotion"] = $"/api/v1/projects/{slug}/artifacts/{artifact}/promotions",
                });
        }
    }
}
