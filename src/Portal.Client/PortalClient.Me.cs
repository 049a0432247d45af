using Portal.Client.Models;

namespace Portal.Client;

public sealed partial class PortalClient
{
    /// <summary>The user the token belongs to.</summary>
    public Task<MeResponse> GetMeAsync(CancellationToken ct = default) =>
        GetAsync<MeResponse>("api/v1/me", ct);

    public Task<IReadOnlyList<ApiTokenResponse>> ListTokensAsync(CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<ApiTokenResponse>>("api/v1/me/tokens", ct);

    /// <summary>Creates a token; the secret in the answer is shown only this once.</summary>
    public Task<CreateApiTokenResponse> CreateTokenAsync(CreateApiTokenRequest request, CancellationToken ct = default) =>
        PostAsync<CreateApiTokenResponse>("api/v1/me/tokens", request, ct);

    public Task RevokeTokenAsync(Guid id, CancellationToken ct = default) =>
        SendNoContentAsync(() => new HttpRequestMessage(HttpMethod.Delete, $"api/v1/me/tokens/{id}"), idempotent: true, ct);

    /// <summary>Every user (site admins only).</summary>
    public Task<IReadOnlyList<UserResponse>> ListUsersAsync(CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<UserResponse>>("api/v1/users", ct);

    public Task<CreateUserResponse> CreateUserAsync(CreateUserRequest request, CancellationToken ct = default) =>
        PostAsync<CreateUserResponse>("api/v1/users", request, ct);
}
