using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Checks;

namespace Portal.Core.Features.Lineage;

/// <summary>Which part of the lineage graph to return around a focus node.</summary>
public sealed record LineageGraphQuery(string Focus, int? Up = null, int? Down = null, int? Cap = null);

/// <summary>
/// Reads the lineage graph: the subgraph around a node with per-hop caps (the rest collapsed into cluster nodes),
/// the expansion of one cluster, and the full upstream (provenance) and downstream (impact) walks. Every hop is one
/// set-based query over the whole frontier, so the number of queries grows with the depth, not with the node count;
/// the full walks are one recursive query where the provider allows (see <see cref="LineageReach"/>).
/// </summary>
public sealed class LineageGraph(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access, IServiceProvider services)
{
    public const int DefaultDepth = 2;
    public const int MaxDepth = 10;
    public const int DefaultCap = 25;
    public const int MaxCap = 500;
    public const int MaxExpand = 1000;
    public const int DefaultWalkLimit = 500;
    public const int MaxWalkLimit = 5000;

    /// <summary>Edges read per hop at most; the counts behind the clusters stay exact past it.</summary>
    private const int MaxPairsPerHop = 20_000;

    public async Task<LineageGraphResponse> GraphAsync(ClaimsPrincipal user, string slug, LineageGraphQuery query, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        var focus = LineageNodeId.Parse(query.Focus);
        var up = Bounded(query.Up ?? DefaultDepth, 0, MaxDepth, "up");
        var down = Bounded(query.Down ?? DefaultDepth, 0, MaxDepth, "down");
        var cap = Bounded(query.Cap ?? DefaultCap, 1, MaxCap, "cap");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var projectId = grant.Project.Id;
        await EnsureNodeExistsAsync(db, projectId, focus, ct);

        var builder = new SubgraphBuilder(focus);
        await builder.WalkAsync(db, LineageWalkDirection.Up, up, cap, ct);
        await builder.WalkAsync(db, LineageWalkDirection.Down, down, cap, ct);
        var nodes = await DescribeAsync(db, projectId, builder.Depths, withValidation: true, ct);
        return new LineageGraphResponse(focus.ToString(), up, down, cap, [.. nodes, .. builder.Clusters], [.. builder.Edges]);
    }

    /// <summary>
    /// The neighbours of <paramref name="anchorId"/> in one direction, of one artifact type (for versions) or job
    /// type (for runs): what a cluster node stood for. Returns at most <paramref name="limit"/> of them, newest first,
    /// and a cluster for the rest.
    /// </summary>
    public async Task<LineageGraphResponse> ExpandAsync(
        ClaimsPrincipal user, string slug, string anchorId, string direction, string type, int? limit = null, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        var anchor = LineageNodeId.Parse(anchorId);
        var walk = ParseDirection(direction);
        var take = Bounded(limit ?? 200, 1, MaxExpand, "limit");
        if (string.IsNullOrWhiteSpace(type))
            throw PortalException.BadRequest(ErrorCodes.LineageQueryInvalid, "Say which artifact type or job type to expand: ?type=chunks.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var projectId = grant.Project.Id;
        await EnsureNodeExistsAsync(db, projectId, anchor, ct);

        var pairs = await LineageHops.PairsAsync(db, anchor.IsRun, [anchor.Id], walk, take + 1, ct, type);
        var builder = new SubgraphBuilder(anchor);
        var sign = walk == LineageWalkDirection.Down ? 1 : -1;
        foreach (var pair in pairs.Take(take))
            builder.AddEdge(anchor, new LineageNodeId(!anchor.IsRun, pair.Child), pair.Direction, sign);
        if (pairs.Count > take)
        {
            var total = (await LineageHops.CountsAsync(db, anchor.IsRun, [anchor.Id], walk, ct))
                .Where(c => c.ChildType == type).Sum(c => c.Count);
            builder.AddCluster(anchor, walk, !anchor.IsRun, type, total - take, sign);
        }

        var nodes = await DescribeAsync(db, projectId, builder.Depths, withValidation: true, ct);
        return new LineageGraphResponse(anchor.ToString(), walk == LineageWalkDirection.Up ? 1 : 0, walk == LineageWalkDirection.Down ? 1 : 0, take,
            [.. nodes, .. builder.Clusters], [.. builder.Edges]);
    }

    /// <summary>
    /// Where the project's explorer opens: the source of the latest pipeline, so that walking downstream from it shows
    /// every branch, sibling runs on the same inputs included (a walk from a run in the middle only goes up its inputs
    /// and down its outputs, and misses the runs beside it). From the newest run that both used and produced versions,
    /// it follows the newest input, then that version's producer, until a node has nothing upstream. Null when the
    /// project has no lineage yet.
    /// </summary>
    public async Task<string?> DefaultFocusAsync(ClaimsPrincipal user, string slug, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var projectId = grant.Project.Id;
        var edges = db.LineageEdges.AsNoTracking().Where(e => e.ProjectId == projectId);
        var run = await edges
            .Where(e => e.Direction == LineageDirection.Used && db.LineageEdges.Any(p => p.RunId == e.RunId && p.Direction == LineageDirection.Produced))
            .OrderByDescending(e => e.CreatedAt).ThenByDescending(e => e.Id)
            .Select(e => (Guid?)e.RunId)
            .FirstOrDefaultAsync(ct);
        if (run is not { } runId)
        {
            var version = await edges.OrderByDescending(e => e.CreatedAt).ThenByDescending(e => e.Id).Select(e => (Guid?)e.VersionId).FirstOrDefaultAsync(ct);
            return version is { } id ? LineageNodeId.Version(id).ToString() : null;
        }

        // Upstream one hop at a time (a pipeline is a few hops long); lineage may hold cycles, so stop on a node seen before.
        var node = LineageNodeId.Run(runId);
        var seen = new HashSet<LineageNodeId> { node };
        for (var hop = 0; hop < 2 * MaxDepth; hop++)
        {
            var current = node.Id;
            Guid? parent = node.IsRun
                ? await edges.Where(e => e.RunId == current && e.Direction == LineageDirection.Used)
                    .OrderByDescending(e => e.CreatedAt).ThenByDescending(e => e.Id).Select(e => (Guid?)e.VersionId).FirstOrDefaultAsync(ct)
                : await edges.Where(e => e.VersionId == current && e.Direction == LineageDirection.Produced)
                    .OrderByDescending(e => e.CreatedAt).ThenByDescending(e => e.Id).Select(e => (Guid?)e.RunId).FirstOrDefaultAsync(ct);
            if (parent is not { } parentId)
                break;
            var next = new LineageNodeId(!node.IsRun, parentId);
            if (!seen.Add(next))
                break;
            node = next;
        }

        return node.ToString();
    }

    /// <summary>Everything upstream of a node: the versions and runs it was made from, at any distance.</summary>
    public Task<LineageWalkResponse> ProvenanceAsync(ClaimsPrincipal user, string slug, string nodeId, int? limit = null, CancellationToken ct = default) =>
        WalkAsync(user, slug, nodeId, LineageWalkDirection.Up, limit, ct);

    /// <summary>Everything downstream of a node, with how many of the reached versions sit behind each custom alias.</summary>
    public Task<LineageWalkResponse> ImpactAsync(ClaimsPrincipal user, string slug, string nodeId, int? limit = null, CancellationToken ct = default) =>
        WalkAsync(user, slug, nodeId, LineageWalkDirection.Down, limit, ct);

    private async Task<LineageWalkResponse> WalkAsync(ClaimsPrincipal user, string slug, string nodeId, LineageWalkDirection direction, int? limit, CancellationToken ct)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        var origin = LineageNodeId.Parse(nodeId);
        var take = Bounded(limit ?? DefaultWalkLimit, 0, MaxWalkLimit, "limit");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var projectId = grant.Project.Id;
        await EnsureNodeExistsAsync(db, projectId, origin, ct);

        // Distance from the origin, in edges, of every node reached; the origin itself is left out of the answer.
        var (versions, runs, aliasRows) = await LineageReach.WalkAsync(db, origin, direction, ct);
        var aliasCounts = aliasRows.GroupBy(a => a.Name).OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(a => a.VersionId).Distinct().Count());

        // The nearest ones are listed; versions behind a custom alias first among equals, since those are the ones a
        // steward acts on.
        var aliased = aliasRows.Select(a => a.VersionId).ToHashSet();
        var listedVersions = versions.OrderBy(v => v.Value).ThenBy(v => aliased.Contains(v.Key) ? 0 : 1).Take(take).ToDictionary(v => LineageNodeId.Version(v.Key), v => v.Value);
        var listedRuns = runs.OrderBy(r => r.Value).Take(take).ToDictionary(r => LineageNodeId.Run(r.Key), r => r.Value);
        var sign = direction == LineageWalkDirection.Down ? 1 : -1;
        var described = await DescribeAsync(db, projectId,
            listedVersions.Concat(listedRuns).ToDictionary(p => p.Key, p => p.Value * sign), withValidation: false, ct);
        var byId = described.ToDictionary(n => n.Id);
        List<LineageReachedNode> Listed(Dictionary<LineageNodeId, int> listed) =>
            [.. listed.Where(p => byId.ContainsKey(p.Key.ToString())).Select(p => new LineageReachedNode(byId[p.Key.ToString()], p.Value))
                .OrderBy(r => r.Distance).ThenByDescending(r => r.Node.Version?.Aliases.Count ?? 0).ThenBy(r => r.Node.Label, StringComparer.Ordinal)];

        return new LineageWalkResponse(
            origin.ToString(),
            direction == LineageWalkDirection.Down ? "down" : "up",
            versions.Count,
            runs.Count,
            aliased.Count,
            aliasCounts,
            versions.Values.Concat(runs.Values).DefaultIfEmpty(0).Max(),
            Listed(listedVersions),
            Listed(listedRuns),
            versions.Count > take || runs.Count > take);
    }

    /// <summary>
    /// Loads what a page shows about each node: two queries for versions (and their aliases) and one for runs. They
    /// filter on the ids only, so the primary keys answer them, and check the project here: with the project in the
    /// query, SQLite walked every artifact version or run of the project instead (hundreds of milliseconds on 100,000).
    /// </summary>
    private async Task<List<LineageNodeResponse>> DescribeAsync(
        PortalDbContext db, Guid projectId, IReadOnlyDictionary<LineageNodeId, int> depths, bool withValidation, CancellationToken ct)
    {
        var versionIds = depths.Keys.Where(k => !k.IsRun).Select(k => k.Id).ToList();
        var runIds = depths.Keys.Where(k => k.IsRun).Select(k => k.Id).ToList();
        var nodes = new List<LineageNodeResponse>(depths.Count);
        if (versionIds.Count > 0)
        {
            var versions = new List<VersionRow>();
            var aliasList = new List<(Guid VersionId, string Name)>();
            foreach (var part in versionIds.Chunk(LineageHops.MaxIdsPerQuery))
            {
                versions.AddRange((await db.ArtifactVersions.AsNoTracking()
                    .Where(v => part.Contains(v.Id))
                    .Select(v => new VersionRow(v.Id, v.Artifact.ProjectId, v.Artifact.Name, v.Artifact.Type, v.Index, v.State, v.CreatedAt, v.FileCount, v.TotalSize))
                    .ToListAsync(ct)).Where(v => v.ProjectId == projectId));
                var rows = await db.Aliases.AsNoTracking()
                    .Where(a => part.Contains(a.VersionId))
                    .Select(a => new { a.VersionId, a.Name })
                    .ToListAsync(ct);
                aliasList.AddRange(rows.Select(r => (r.VersionId, r.Name)));
            }

            var aliases = aliasList.ToLookup(a => a.VersionId, a => a.Name);
            var validation = services.GetService<IVersionCheckStatusSource>();
            foreach (var v in versions)
            {
                var names = aliases[v.Id].ToList();
                var custom = names.Where(n => n != ArtifactNames.Latest).Order(StringComparer.Ordinal).ToList();
                var check = withValidation && validation is not null && v.State == VersionState.Committed
                    ? (await validation.GetValidationAsync(v.Id, ct)).State
                    : VersionCheckState.Missing;
                var label = v.Index is { } index ? $"{v.Name}:{ArtifactNames.FormatIndex(index)}" : $"{v.Name}:{v.State.ToString().ToLowerInvariant()}";
                var id = LineageNodeId.Version(v.Id);
                nodes.Add(new LineageNodeResponse(id.ToString(), LineageNodeKinds.Version, label, depths[id],
                    Version: new LineageVersionNode(v.Id, v.Name, v.Type, v.Index, v.State.ToString().ToLowerInvariant(), custom,
                        names.Contains(ArtifactNames.Latest), check.ToString().ToLowerInvariant(), v.CreatedAt, v.FileCount, v.TotalSize)));
            }
        }

        if (runIds.Count > 0)
        {
            var runs = new List<RunRow>();
            foreach (var part in runIds.Chunk(LineageHops.MaxIdsPerQuery))
            {
                runs.AddRange((await db.Runs.AsNoTracking()
                    .Where(r => part.Contains(r.Id))
                    .Select(r => new RunRow(r.Id, r.ProjectId, r.Name, r.JobType, r.Status, r.StartedAt, r.FinishedAt))
                    .ToListAsync(ct)).Where(r => r.ProjectId == projectId));
            }

            foreach (var r in runs)
            {
                var id = LineageNodeId.Run(r.Id);
                nodes.Add(new LineageNodeResponse(id.ToString(), LineageNodeKinds.Run, r.Name, depths[id],
                    Run: new LineageRunNode(r.Id, r.Name, r.JobType, r.Status.ToString().ToLowerInvariant(), r.StartedAt, r.FinishedAt)));
            }
        }

        return nodes;
    }

    private sealed record VersionRow(Guid Id, Guid ProjectId, string Name, string Type, int? Index, VersionState State, DateTimeOffset CreatedAt, long FileCount, long TotalSize);

    private sealed record RunRow(Guid Id, Guid ProjectId, string Name, string JobType, Runs.RunStatus Status, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt);

    private static async Task EnsureNodeExistsAsync(PortalDbContext db, Guid projectId, LineageNodeId node, CancellationToken ct)
    {
        var exists = node.IsRun
            ? await db.Runs.AnyAsync(r => r.Id == node.Id && r.ProjectId == projectId, ct)
            : await db.ArtifactVersions.AnyAsync(v => v.Id == node.Id && v.Artifact.ProjectId == projectId, ct);
        if (!exists)
            throw PortalException.NotFound(ErrorCodes.LineageNodeNotFound, $"No {(node.IsRun ? "run" : "artifact version")} '{node.Id}' exists in this project.");
    }

    internal static LineageWalkDirection ParseDirection(string? direction) => direction switch
    {
        "up" => LineageWalkDirection.Up,
        "down" => LineageWalkDirection.Down,
        _ => throw PortalException.BadRequest(ErrorCodes.LineageQueryInvalid, $"'{direction}' is not a direction; use up or down."),
    };

    private static int Bounded(int value, int min, int max, string name) =>
        value >= min && value <= max
            ? value
            : throw PortalException.BadRequest(ErrorCodes.LineageQueryInvalid, $"{name} must be between {min} and {max} (got {value}).");

    /// <summary>
    /// Breadth-first around the focus, one hop at a time. Each frontier node shows at most <c>cap</c> new neighbours
    /// (newest edges first); the others are counted per artifact type or job type into one cluster node each and are
    /// not walked further.
    /// </summary>
    private sealed class SubgraphBuilder(LineageNodeId focus)
    {
        private readonly HashSet<(string Source, string Target)> _edgeKeys = [];

        public Dictionary<LineageNodeId, int> Depths { get; } = new() { [focus] = 0 };

        public List<LineageEdgeResponse> Edges { get; } = [];

        public List<LineageNodeResponse> Clusters { get; } = [];

        public async Task WalkAsync(PortalDbContext db, LineageWalkDirection direction, int depth, int cap, CancellationToken ct)
        {
            var frontier = new List<Guid> { focus.Id };
            var fromRuns = focus.IsRun;
            var sign = direction == LineageWalkDirection.Down ? 1 : -1;
            for (var hop = 1; hop <= depth && frontier.Count > 0; hop++)
            {
                var pairs = await LineageHops.PairsAsync(db, fromRuns, frontier, direction, MaxPairsPerHop, ct);
                var counts = await LineageHops.CountsAsync(db, fromRuns, frontier, direction, ct);
                var next = new List<Guid>();
                var shown = new Dictionary<(Guid Parent, string Type), int>();
                var counted = new HashSet<(Guid Parent, Guid Child)>();

                // An edge counts as shown once per hop, whether this hop or the other direction's walk drew it.
                void Show(LineageHopPair pair)
                {
                    AddEdge(new LineageNodeId(fromRuns, pair.Parent), new LineageNodeId(!fromRuns, pair.Child), pair.Direction, sign);
                    if (counted.Add((pair.Parent, pair.Child)))
                        shown[(pair.Parent, pair.ChildType)] = shown.GetValueOrDefault((pair.Parent, pair.ChildType)) + 1;
                }

                foreach (var group in pairs.GroupBy(p => p.Parent))
                {
                    var fresh = 0;
                    foreach (var pair in group)
                    {
                        var child = new LineageNodeId(!fromRuns, pair.Child);
                        var known = Depths.ContainsKey(child);
                        if (!known && fresh >= cap)
                            continue;
                        if (!known)
                        {
                            Depths[child] = sign * hop;
                            next.Add(pair.Child);
                            fresh++;
                        }

                        Show(pair);
                    }
                }

                // Neighbours of a capped parent that another parent showed still get their edge.
                foreach (var pair in pairs)
                {
                    var child = new LineageNodeId(!fromRuns, pair.Child);
                    if (Depths.ContainsKey(child))
                        Show(pair);
                }

                foreach (var count in counts.OrderBy(c => c.Parent).ThenBy(c => c.ChildType, StringComparer.Ordinal))
                {
                    var hidden = count.Count - shown.GetValueOrDefault((count.Parent, count.ChildType));
                    if (hidden > 0)
                        AddCluster(new LineageNodeId(fromRuns, count.Parent), direction, !fromRuns, count.ChildType, hidden, sign * hop);
                }

                frontier = next;
                fromRuns = !fromRuns;
            }
        }

        /// <summary>Adds the edge in the direction data flows; false when it was already there.</summary>
        public bool AddEdge(LineageNodeId parent, LineageNodeId child, LineageDirection kind, int sign)
        {
            if (!Depths.ContainsKey(child))
                Depths[child] = sign;
            var (version, run) = parent.IsRun ? (child, parent) : (parent, child);
            var edge = kind == LineageDirection.Used
                ? new LineageEdgeResponse(version.ToString(), run.ToString(), "used")
                : new LineageEdgeResponse(run.ToString(), version.ToString(), "produced");
            if (!_edgeKeys.Add((edge.Source, edge.Target)))
                return false;
            Edges.Add(edge);
            return true;
        }

        public void AddCluster(LineageNodeId anchor, LineageWalkDirection direction, bool runs, string type, int count, int depth)
        {
            var way = direction == LineageWalkDirection.Down ? "down" : "up";
            var id = $"cluster:{anchor}:{way}:{type}";
            var what = runs ? $"{type} runs" : $"{type} versions";
            Clusters.Add(new LineageNodeResponse(id, LineageNodeKinds.Cluster, $"+{count} more {what}", depth,
                Cluster: new LineageClusterNode(anchor.ToString(), way, runs ? LineageNodeKinds.Run : LineageNodeKinds.Version, type, count)));
            Edges.Add(direction == LineageWalkDirection.Down
                ? new LineageEdgeResponse(anchor.ToString(), id, "cluster")
                : new LineageEdgeResponse(id, anchor.ToString(), "cluster"));
        }
    }
}
