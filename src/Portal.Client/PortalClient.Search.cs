using Portal.Client.Models;

namespace Portal.Client;

public sealed partial class PortalClient
{
    /// <summary>Artifacts, versions and runs matching <paramref name="query"/> in the projects you can read.</summary>
    public Task<SearchResponse> SearchAsync(string query, int? limit = null, CancellationToken ct = default) =>
        GetAsync<SearchResponse>("api/v1/search" + Query(("q", query), ("limit", limit?.ToString(System.Globalization.CultureInfo.InvariantCulture))), ct);
}
