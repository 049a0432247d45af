using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Features.Access;

namespace Portal.Core.Features.Artifacts;

/// <summary>One move of an alias for people to read: <see cref="ToVersion"/> is null when the alias was removed.</summary>
public sealed record AliasMove(string Alias, string? FromVersion, string? ToVersion, string Actor, DateTimeOffset At, string Reason);

/// <summary>Every alias move of an artifact, newest first, with the names of who moved them (two queries).</summary>
public sealed class AliasTimeline(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access)
{
    public const int MaxMoves = 500;

    public async Task<IReadOnlyList<AliasMove>> ListAsync(ClaimsPrincipal user, string slug, string name, bool includeLatest = false, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var artifact = await ArtifactCatalog.FindAsync(db, grant, name, ct);
        var moves = await (
                from e in db.AliasEvents.AsNoTracking()
                where e.ArtifactId == artifact.Id && (includeLatest || e.AliasName != ArtifactNames.Latest)
                orderby e.At descending, e.Id descending
                join u in db.Users on e.ActorId equals u.Id into actors
                from u in actors.DefaultIfEmpty()
                select new { e.AliasName, e.FromVersionId, e.ToVersionId, e.At, e.Reason, Actor = u == null ? null : u.DisplayName })
            .Take(MaxMoves)
            .ToListAsync(ct);

        var ids = moves.SelectMany(m => new[] { m.FromVersionId, m.ToVersionId }).OfType<Guid>().Distinct().ToList();
        var indexes = await db.ArtifactVersions.AsNoTracking()
            .Where(v => ids.Contains(v.Id) && v.Index != null)
            .ToDictionaryAsync(v => v.Id, v => v.Index!.Value, ct);
        string? Label(Guid? id) => id is { } v && indexes.TryGetValue(v, out var index) ? ArtifactNames.FormatIndex(index) : null;
        return moves
            .Select(m => new AliasMove(m.AliasName, Label(m.FromVersionId), Label(m.ToVersionId), m.Actor ?? "Someone", m.At, m.Reason))
            .ToList();
    }
}
