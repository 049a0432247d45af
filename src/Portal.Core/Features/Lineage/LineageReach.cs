using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;

namespace Portal.Core.Features.Lineage;

/// <summary>
/// Everything a full walk reaches from its origin (left out): the distance in edges of each version and run, and the
/// custom aliases (not <c>latest</c>) of the reached versions.
/// </summary>
internal sealed record LineageReach(Dictionary<Guid, int> Versions, Dictionary<Guid, int> Runs, List<(Guid VersionId, string Name)> Aliases)
{
    /// <summary>Hops a walk takes at most; a guard, since cycles already end the walk through the visited set.</summary>
    private const int MaxWalkHops = 10_000;

    /// <summary>
    /// One statement on SQLite and PostgreSQL (a recursive query finds the reached versions, and the same statement
    /// returns the edges crossed and the aliases met, from which the distances are counted here); one set-based query
    /// per hop on SQL Server, whose recursive queries cannot drop the rows they have already seen, so a cycle or two
    /// paths to one node would repeat work without end.
    /// </summary>
    public static Task<LineageReach> WalkAsync(PortalDbContext db, LineageNodeId origin, LineageWalkDirection direction, CancellationToken ct) =>
        db.Database.Provider() == DatabaseProvider.SqlServer ? ByHopsAsync(db, origin, direction, ct) : RecursiveAsync(db, origin, direction, ct);

    /// <summary>
    /// Recursion over versions only, two edges a step (version → run → version, through the two covering edge
    /// indexes), deduplicated by UNION so each version is expanded once and cycles end. Then, from the reached
    /// versions: the edges to runs (kind 0), the runs' edges to versions (kind 1; also the origin's own when it is a
    /// run) and the custom aliases (kind 2). A breadth-first pass over those edges gives the same distances the walk
    /// by hops gives.
    /// </summary>
    private static async Task<LineageReach> RecursiveAsync(PortalDbContext db, LineageNodeId origin, LineageWalkDirection direction, CancellationToken ct)
    {
        // {0} origin, {1} the edge kind crossed from a version, {2} from a run, {3} the alias left out.
        var seed = origin.IsRun
            ? """SELECT s."VersionId" FROM "LineageEdges" s WHERE s."RunId" = {0} AND s."Direction" = {2}"""
            : "SELECT {0}";
        var originEdges = origin.IsRun
            ? """
              UNION ALL
              SELECT 1, s."RunId", s."VersionId", NULL FROM "LineageEdges" s WHERE s."RunId" = {0} AND s."Direction" = {2}
              """
            : "";
        var sql = $$"""
            WITH RECURSIVE reached("Id") AS (
                {{seed}}
                UNION
                SELECT b."VersionId" FROM reached r
                JOIN "LineageEdges" a ON a."VersionId" = r."Id" AND a."Direction" = {1}
                JOIN "LineageEdges" b ON b."RunId" = a."RunId" AND b."Direction" = {2}
            )
            SELECT 0 AS "Kind", a."VersionId" AS "Parent", a."RunId" AS "Child", NULL AS "Name" FROM "LineageEdges" a
            WHERE a."VersionId" IN (SELECT "Id" FROM reached) AND a."Direction" = {1}
            UNION ALL
            SELECT 1, b."RunId", b."VersionId", NULL FROM "LineageEdges" b
            WHERE b."RunId" IN (SELECT a."RunId" FROM "LineageEdges" a WHERE a."VersionId" IN (SELECT "Id" FROM reached) AND a."Direction" = {1})
                AND b."Direction" = {2}
            UNION ALL
            SELECT 2, l."VersionId", l."VersionId", l."Name" FROM "Aliases" l
            WHERE l."VersionId" IN (SELECT "Id" FROM reached) AND l."Name" <> {3}
            {{originEdges}}
            """;
        var rows = await db.Database.SqlQueryRaw<LineageReachRow>(sql,
                origin.Id,
                LineageHops.EdgeKind(false, direction).ToString(),
                LineageHops.EdgeKind(true, direction).ToString(),
                ArtifactNames.Latest)
            .ToListAsync(ct);

        var fromVersions = new Dictionary<Guid, List<Guid>>();
        var fromRuns = new Dictionary<Guid, List<Guid>>();
        var aliases = new List<(Guid VersionId, string Name)>();
        foreach (var row in rows)
        {
            if (row.Kind == 2)
            {
                aliases.Add((row.Parent, row.Name!));
                continue;
            }

            var edges = row.Kind == 0 ? fromVersions : fromRuns;
            if (!edges.TryGetValue(row.Parent, out var children))
                edges[row.Parent] = children = [];
            children.Add(row.Child);
        }

        var versions = new Dictionary<Guid, int>();
        var runs = new Dictionary<Guid, int>();
        (origin.IsRun ? runs : versions)[origin.Id] = 0;
        var queue = new Queue<(Guid Id, bool IsRun, int Distance)>();
        queue.Enqueue((origin.Id, origin.IsRun, 0));
        while (queue.TryDequeue(out var node))
        {
            if (!(node.IsRun ? fromRuns : fromVersions).TryGetValue(node.Id, out var children))
                continue;
            var reached = node.IsRun ? versions : runs;
            foreach (var child in children)
            {
                if (reached.TryAdd(child, node.Distance + 1))
                    queue.Enqueue((child, !node.IsRun, node.Distance + 1));
            }
        }

        (origin.IsRun ? runs : versions).Remove(origin.Id);
        aliases.RemoveAll(a => !versions.ContainsKey(a.VersionId));
        return new LineageReach(versions, runs, aliases);
    }

    /// <summary>Breadth-first, one set-based query per hop over the whole frontier, then the reached versions' aliases.</summary>
    private static async Task<LineageReach> ByHopsAsync(PortalDbContext db, LineageNodeId origin, LineageWalkDirection direction, CancellationToken ct)
    {
        var versions = new Dictionary<Guid, int>();
        var runs = new Dictionary<Guid, int>();
        (origin.IsRun ? runs : versions)[origin.Id] = 0;
        var frontier = new List<Guid> { origin.Id };
        var fromRuns = origin.IsRun;
        for (var hop = 1; frontier.Count > 0 && hop <= MaxWalkHops; hop++)
        {
            var reached = fromRuns ? versions : runs;
            var next = new List<Guid>();
            foreach (var id in await LineageHops.NeighboursAsync(db, fromRuns, frontier, direction, ct))
            {
                if (reached.TryAdd(id, hop))
                    next.Add(id);
            }

            frontier = next;
            fromRuns = !fromRuns;
        }

        (origin.IsRun ? runs : versions).Remove(origin.Id);
        var aliases = new List<(Guid VersionId, string Name)>();
        foreach (var part in versions.Keys.Chunk(LineageHops.MaxIdsPerQuery))
        {
            var rows = await db.Aliases.AsNoTracking()
                .Where(a => a.Name != ArtifactNames.Latest && part.Contains(a.VersionId))
                .Select(a => new { a.VersionId, a.Name })
                .ToListAsync(ct);
            aliases.AddRange(rows.Select(r => (r.VersionId, r.Name)));
        }

        return new LineageReach(versions, runs, aliases);
    }
}

/// <summary>A row of the recursive walk: an edge crossed (kind 0 from a version, 1 from a run) or an alias (kind 2).</summary>
internal sealed class LineageReachRow
{
    public int Kind { get; init; }

    public Guid Parent { get; init; }

    public Guid Child { get; init; }

    public string? Name { get; init; }
}
