namespace Portal.Client.Models;

/// <summary>The kinds of lineage node (<see cref="LineageNodeResponse.Kind"/>).</summary>
public static class LineageNodeKinds
{
    public const string Version = "version";
    public const string Run = "run";
    public const string Cluster = "cluster";
}

/// <summary>
/// One node of a lineage graph. <see cref="Id"/> is <c>version:&lt;guid&gt;</c>, <c>run:&lt;guid&gt;</c> or, for nodes
/// collapsed beyond a per-hop cap, <c>cluster:&lt;kind&gt;:&lt;anchor guid&gt;:&lt;up|down&gt;:&lt;type&gt;</c>.
/// <see cref="Depth"/> is the signed number of hops from the focus: negative upstream, positive downstream.
/// </summary>
public sealed record LineageNodeResponse(
    string Id,
    string Kind,
    string Label,
    int Depth,
    LineageVersionNode? Version = null,
    LineageRunNode? Run = null,
    LineageClusterNode? Cluster = null);

/// <summary>
/// A version node. <see cref="Aliases"/> are its custom aliases (<c>production</c>, <c>staging</c> …, never
/// <c>latest</c>); <see cref="Validation"/> is <c>passed</c>, <c>failed</c>, <c>running</c>, <c>queued</c> or
/// <c>missing</c>.
/// </summary>
public sealed record LineageVersionNode(
    Guid VersionId,
    string ArtifactName,
    string ArtifactType,
    int? Index,
    string State,
    IReadOnlyList<string> Aliases,
    bool IsLatest,
    string Validation,
    DateTimeOffset CreatedAt,
    long FileCount,
    long TotalSize);

/// <summary>A run in the lineage graph.</summary>
public sealed record LineageRunNode(Guid RunId, string Name, string JobType, string Status, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt);

/// <summary>
/// <see cref="Count"/> neighbours of <see cref="AnchorId"/> (a node id) in <see cref="Direction"/> (<c>up</c> or
/// <c>down</c>) of one artifact type or job type, not listed because of the per-hop cap. Expand it with the
/// <c>lineage/expand</c> endpoint.
/// </summary>
public sealed record LineageClusterNode(string AnchorId, string Direction, string NodeKind, string Type, int Count);

/// <summary>An edge in the direction data flows: version → run for <c>used</c>, run → version for <c>produced</c>.</summary>
public sealed record LineageEdgeResponse(string Source, string Target, string Kind);

/// <summary>A subgraph around <see cref="FocusId"/>: nodes, edges, and cluster nodes where a hop was capped.</summary>
public sealed record LineageGraphResponse(string FocusId, int Up, int Down, int Cap, IReadOnlyList<LineageNodeResponse> Nodes, IReadOnlyList<LineageEdgeResponse> Edges);

/// <summary>One version or run reached by a full upstream (provenance) or downstream (impact) walk.</summary>
public sealed record LineageReachedNode(LineageNodeResponse Node, int Distance);

/// <summary>
/// Everything upstream (<c>provenance</c>) or downstream (<c>impact</c>) of a node. The counts cover the whole walk;
/// <see cref="Versions"/> and <see cref="Runs"/> list the nearest ones up to the limit asked for
/// (<see cref="Truncated"/> says when some were left out). <see cref="AliasCounts"/> counts the reached versions
/// behind each custom alias, e.g. <c>{"production": 1}</c>, and <see cref="AliasedVersionCount"/> those behind any.
/// </summary>
public sealed record LineageWalkResponse(
    string OriginId,
    string Direction,
    int VersionCount,
    int RunCount,
    int AliasedVersionCount,
    IReadOnlyDictionary<string, int> AliasCounts,
    int MaxDistance,
    IReadOnlyList<LineageReachedNode> Versions,
    IReadOnlyList<LineageReachedNode> Runs,
    bool Truncated);
