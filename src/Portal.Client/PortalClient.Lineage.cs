using System.Globalization;
using Portal.Client.Models;

namespace Portal.Client;

public sealed partial class PortalClient
{
    private static string LineagePath(string slug) => $"api/v1/projects/{Escape(slug)}/lineage";

    private static string? Number(int? value) => value?.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The subgraph around <paramref name="focus"/> (<c>version:&lt;id&gt;</c> or <c>run:&lt;id&gt;</c>); null depths
    /// and cap take the server's defaults (2, 2, 25).
    /// </summary>
    public Task<LineageGraphResponse> GetLineageGraphAsync(string slug, string focus, int? up = null, int? down = null, int? cap = null, CancellationToken ct = default) =>
        GetAsync<LineageGraphResponse>(LineagePath(slug) + "/graph" + Query(("focus", focus), ("up", Number(up)), ("down", Number(down)), ("cap", Number(cap))), ct);

    /// <summary>Expands a cluster node: pass its <see cref="LineageClusterNode"/>.</summary>
    public Task<LineageGraphResponse> ExpandLineageClusterAsync(string slug, LineageClusterNode cluster, int? limit = null, CancellationToken ct = default) =>
        GetAsync<LineageGraphResponse>(LineagePath(slug) + "/expand" + Query(
            ("anchor", cluster.AnchorId), ("direction", cluster.Direction), ("type", cluster.Type), ("limit", Number(limit))), ct);

    /// <summary>Everything upstream of a node (what it was made from).</summary>
    public Task<LineageWalkResponse> GetLineageProvenanceAsync(string slug, string node, int? limit = null, CancellationToken ct = default) =>
        GetAsync<LineageWalkResponse>(LineagePath(slug) + "/provenance" + Query(("node", node), ("limit", Number(limit))), ct);

    /// <summary>Everything downstream of a node, with the versions behind custom aliases counted.</summary>
    public Task<LineageWalkResponse> GetLineageImpactAsync(string slug, string node, int? limit = null, CancellationToken ct = default) =>
        GetAsync<LineageWalkResponse>(LineagePath(slug) + "/impact" + Query(("node", node), ("limit", Number(limit))), ct);
}
