using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;

namespace Portal.Core.Features.Lineage;

/// <summary>One edge crossed by a hop: from a frontier node (<see cref="Parent"/>) to a neighbour (<see cref="Child"/>).</summary>
internal sealed record LineageHopPair(Guid Parent, Guid Child, string ChildType, LineageDirection Direction, DateTimeOffset At);

internal sealed record LineageHopCount(Guid Parent, string ChildType, int Count);

/// <summary>
/// Set-based hops over the bipartite edge table: each call crosses one edge from a whole frontier at once (one query
/// for the frontier, never one per node). Versions and runs alternate, so a frontier holds one kind of node.
/// The queries filter on the frontier and the edge kind only, so the (VersionId, Direction, RunId) and (RunId,
/// Direction, VersionId) indexes answer them; a project filter made SQLite scan the project's whole edge index
/// instead. The walk starts from a node checked to be in the project, and edges only join nodes of one project.
/// </summary>
internal static class LineageHops
{
    /// <summary>
    /// Ids sent in one query at most: EF Core sends a list as one parameter per id, and SQL Server takes 2,100
    /// parameters. A wider frontier is read in slices, still one query per slice, not per node.
    /// </summary>
    public const int MaxIdsPerQuery = 1000;

    /// <summary>The edge kind a hop crosses: down from a version is "used", down from a run is "produced"; up the reverse.</summary>
    public static LineageDirection EdgeKind(bool fromRuns, LineageWalkDirection direction) =>
        (fromRuns, direction) switch
        {
            (false, LineageWalkDirection.Down) => LineageDirection.Used,
            (true, LineageWalkDirection.Down) => LineageDirection.Produced,
            (false, LineageWalkDirection.Up) => LineageDirection.Produced,
            _ => LineageDirection.Used,
        };

    /// <summary>Anonymous rows, not the record: EF Core filters and orders on an anonymous type's members only.</summary>
    internal static IQueryable<LineageHopRow> Rows(PortalDbContext db, bool fromRuns, IReadOnlyCollection<Guid> frontier, LineageWalkDirection direction, string? childType = null)
    {
        var kind = EdgeKind(fromRuns, direction);
        var edges = db.LineageEdges.AsNoTracking().Where(e => e.Direction == kind);
        var rows = fromRuns
            ? edges.Where(e => frontier.Contains(e.RunId))
                .Select(e => new LineageHopRow { Parent = e.RunId, Child = e.VersionId, ChildType = e.Version.Artifact.Type, Direction = e.Direction, At = e.CreatedAt })
            : edges.Where(e => frontier.Contains(e.VersionId))
                .Select(e => new LineageHopRow { Parent = e.VersionId, Child = e.RunId, ChildType = e.Run.JobType, Direction = e.Direction, At = e.CreatedAt });
        return childType is null ? rows : rows.Where(p => p.ChildType == childType);
    }

    /// <summary>Edges from the frontier in the direction, newest first per parent, with the neighbour's artifact type or job type.</summary>
    internal static IQueryable<LineageHopRow> PairsQuery(PortalDbContext db, bool fromRuns, IReadOnlyCollection<Guid> frontier, LineageWalkDirection direction, int limit, string? childType = null) =>
        Rows(db, fromRuns, frontier, direction, childType).OrderBy(p => p.Parent).ThenByDescending(p => p.At).ThenBy(p => p.Child).Take(limit);

    public static async Task<List<LineageHopPair>> PairsAsync(
        PortalDbContext db, bool fromRuns, IReadOnlyCollection<Guid> frontier, LineageWalkDirection direction, int limit, CancellationToken ct, string? childType = null)
    {
        var pairs = new List<LineageHopPair>();
        foreach (var part in frontier.Chunk(MaxIdsPerQuery))
        {
            var rows = await PairsQuery(db, fromRuns, part, direction, limit - pairs.Count, childType).ToListAsync(ct);
            pairs.AddRange(rows.Select(p => new LineageHopPair(p.Parent, p.Child, p.ChildType, p.Direction, p.At)));
            if (pairs.Count >= limit)
                break;
        }

        return pairs;
    }

    /// <summary>How many neighbours each frontier node has in the direction, per artifact type or job type.</summary>
    internal static IQueryable<LineageHopCount> CountsQuery(PortalDbContext db, bool fromRuns, IReadOnlyCollection<Guid> frontier, LineageWalkDirection direction) =>
        Rows(db, fromRuns, frontier, direction)
            .GroupBy(p => new { p.Parent, p.ChildType })
            .Select(g => new LineageHopCount(g.Key.Parent, g.Key.ChildType, g.Count()));

    public static async Task<List<LineageHopCount>> CountsAsync(
        PortalDbContext db, bool fromRuns, IReadOnlyCollection<Guid> frontier, LineageWalkDirection direction, CancellationToken ct)
    {
        var counts = new List<LineageHopCount>();
        foreach (var part in frontier.Chunk(MaxIdsPerQuery))
            counts.AddRange(await CountsQuery(db, fromRuns, part, direction).ToListAsync(ct));
        return counts;
    }

    /// <summary>The distinct neighbours of a whole frontier (for full walks, where nothing is capped).</summary>
    internal static IQueryable<Guid> NeighboursQuery(PortalDbContext db, bool fromRuns, IReadOnlyCollection<Guid> frontier, LineageWalkDirection direction)
    {
        var kind = EdgeKind(fromRuns, direction);
        var edges = db.LineageEdges.AsNoTracking().Where(e => e.Direction == kind);
        return fromRuns
            ? edges.Where(e => frontier.Contains(e.RunId)).Select(e => e.VersionId).Distinct()
            : edges.Where(e => frontier.Contains(e.VersionId)).Select(e => e.RunId).Distinct();
    }

    public static async Task<List<Guid>> NeighboursAsync(
        PortalDbContext db, bool fromRuns, IReadOnlyCollection<Guid> frontier, LineageWalkDirection direction, CancellationToken ct)
    {
        var neighbours = new List<Guid>();
        foreach (var part in frontier.Chunk(MaxIdsPerQuery))
            neighbours.AddRange(await NeighboursQuery(db, fromRuns, part, direction).ToListAsync(ct));
        return neighbours;
    }
}

/// <summary>A row of a hop query; a class with settable members so EF Core can filter, order and group on them.</summary>
internal sealed class LineageHopRow
{
    public Guid Parent { get; init; }

    public Guid Child { get; init; }

    public string ChildType { get; init; } = "";

    public LineageDirection Direction { get; init; }

    public DateTimeOffset At { get; init; }
}
