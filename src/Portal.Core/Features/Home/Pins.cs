using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Core.Data;
using Portal.Core.Features.Access;

namespace Portal.Core.Features.Home;

/// <summary>Pinning artifacts and runs to one's home page: anyone who can read the project may pin what is in it.</summary>
public sealed class Pins(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access, TimeProvider clock)
{
    public const int MaxPins = 50;

    public async Task<bool> IsPinnedAsync(ClaimsPrincipal user, PinKind kind, Guid targetId, CancellationToken ct = default)
    {
        var userId = ProjectAccess.UserId(user);
        if (userId is null)
            return false;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Pins.AnyAsync(p => p.UserId == userId && p.Kind == kind && p.TargetId == targetId, ct);
    }

    /// <summary>Pins an artifact or run of the project; pinning twice is one pin.</summary>
    public async Task PinAsync(ClaimsPrincipal user, string slug, PinKind kind, Guid targetId, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var exists = kind switch
        {
            PinKind.Artifact => await db.Artifacts.AnyAsync(a => a.Id == targetId && a.ProjectId == grant.Project.Id, ct),
            PinKind.Run => await db.Runs.AnyAsync(r => r.Id == targetId && r.ProjectId == grant.Project.Id, ct),
            _ => false,
        };
        if (!exists)
            throw PortalException.NotFound(ErrorCodes.NotFound, $"Project '{slug}' has no {kind.ToString().ToLowerInvariant()} with id {targetId}.");
        if (await db.Pins.AnyAsync(p => p.UserId == grant.UserId && p.Kind == kind && p.TargetId == targetId, ct))
            return;
        if (await db.Pins.CountAsync(p => p.UserId == grant.UserId, ct) >= MaxPins)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, $"A home page holds at most {MaxPins} pins; unpin something first.");
        db.Pins.Add(new Pin { Id = Guid.NewGuid(), UserId = grant.UserId, ProjectId = grant.Project.Id, Kind = kind, TargetId = targetId, PinnedAt = clock.GetUtcNow() });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Pinned at the same moment in another tab: the unique index kept one pin, which is what was asked.
        }
    }

    /// <summary>Removes the person's pin of the target, if any.</summary>
    public async Task UnpinAsync(ClaimsPrincipal user, PinKind kind, Guid targetId, CancellationToken ct = default)
    {
        var userId = ProjectAccess.UserId(user) ?? throw PortalException.Unauthenticated();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Pins.Where(p => p.UserId == userId && p.Kind == kind && p.TargetId == targetId).ExecuteDeleteAsync(ct);
    }
}
