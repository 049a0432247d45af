using System.Net.Http.Json;
using Portal.Client.Models;

namespace Portal.Client;

public sealed partial class PortalClient
{
    public Task<IReadOnlyList<RegistryCollectionResponse>> ListRegistryCollectionsAsync(string? search = null, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<RegistryCollectionResponse>>("api/v1/registry/collections" + Query(("search", search)), ct);

    public Task<RegistryCollectionResponse> GetRegistryCollectionAsync(string name, CancellationToken ct = default) =>
        GetAsync<RegistryCollectionResponse>($"api/v1/registry/collections/{Escape(name)}", ct);

    public Task<RegistryCollectionResponse> CreateRegistryCollectionAsync(CreateRegistryCollectionRequest request, CancellationToken ct = default) =>
        PostAsync<RegistryCollectionResponse>("api/v1/registry/collections", request, ct);

    public Task<RegistryCollectionResponse> UpdateRegistryCollectionAsync(string name, UpdateRegistryCollectionRequest request, CancellationToken ct = default) =>
        SendForAsync<RegistryCollectionResponse>(
            () => new HttpRequestMessage(HttpMethod.Patch, $"api/v1/registry/collections/{Escape(name)}") { Content = JsonContent.Create(request, options: Json) },
            idempotent: true, ct);

    public Task<IReadOnlyList<RegistryVersionResponse>> ListRegistryVersionsAsync(string name, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<RegistryVersionResponse>>($"api/v1/registry/collections/{Escape(name)}/versions", ct);

    public Task<RegistryVersionResponse> GetRegistryVersionAsync(string name, string version, CancellationToken ct = default) =>
        GetAsync<RegistryVersionResponse>($"api/v1/registry/collections/{Escape(name)}/versions/{Escape(version)}", ct);

    public Task<RegistryLineageResponse> GetRegistryVersionLineageAsync(string name, string version, CancellationToken ct = default) =>
        GetAsync<RegistryLineageResponse>($"api/v1/registry/collections/{Escape(name)}/versions/{Escape(version)}/lineage", ct);

    /// <summary>Links a committed project version into the collection; not retried (a second link is refused as already linked).</summary>
    public Task<RegistryVersionResponse> LinkRegistryVersionAsync(string name, LinkRegistryVersionRequest request, CancellationToken ct = default) =>
        PostAsync<RegistryVersionResponse>($"api/v1/registry/collections/{Escape(name)}/links", request, ct);

    public Task<RegistryVersionResponse> UnlinkRegistryVersionAsync(string name, string version, CancellationToken ct = default) =>
        SendForAsync<RegistryVersionResponse>(
            () => new HttpRequestMessage(HttpMethod.Delete, $"api/v1/registry/collections/{Escape(name)}/links/{Escape(version)}"), idempotent: false, ct);

    public Task<PromotionResponse> RequestRegistryPromotionAsync(string name, CreatePromotionRequest request, CancellationToken ct = default) =>
        PostAsync<PromotionResponse>($"api/v1/registry/collections/{Escape(name)}/promotions", request, ct);
}
