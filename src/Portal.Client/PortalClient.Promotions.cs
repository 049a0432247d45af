using System.Net.Http.Json;
using Portal.Client.Models;

namespace Portal.Client;

public sealed partial class PortalClient
{
    private static string PromotionsPath(string slug) => $"api/v1/projects/{Escape(slug)}/promotions";

    public Task<IReadOnlyList<PromotionPolicyResponse>> ListPromotionPoliciesAsync(string slug, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<PromotionPolicyResponse>>($"api/v1/projects/{Escape(slug)}/promotion-policies", ct);

    /// <summary>Protects <paramref name="alias"/> in the project (project admins); replaces an existing policy.</summary>
    public Task<PromotionPolicyResponse> SetPromotionPolicyAsync(string slug, string alias, PromotionPolicyRequest policy, CancellationToken ct = default) =>
        SendForAsync<PromotionPolicyResponse>(
            () => new HttpRequestMessage(HttpMethod.Put, $"api/v1/projects/{Escape(slug)}/promotion-policies/{Escape(alias)}") { Content = JsonContent.Create(policy, options: Json) },
            idempotent: true, ct);

    public Task DeletePromotionPolicyAsync(string slug, string alias, CancellationToken ct = default) =>
        SendNoContentAsync(() => new HttpRequestMessage(HttpMethod.Delete, $"api/v1/projects/{Escape(slug)}/promotion-policies/{Escape(alias)}"), idempotent: false, ct);

    /// <summary>Asks to move a protected alias of the artifact to a version (<c>vN</c>, alias, id or digest).</summary>
    public Task<PromotionResponse> RequestPromotionAsync(string slug, string name, CreatePromotionRequest request, CancellationToken ct = default) =>
        PostAsync<PromotionResponse>(ArtifactPath(slug, name) + "/promotions", request, ct);

    /// <summary>Proposes the alias's previous version (or, for project admins with <c>Emergency</c>, moves it at once).</summary>
    public Task<PromotionResponse> RollbackAliasAsync(string slug, string name, string alias, RollbackRequest request, CancellationToken ct = default) =>
        PostAsync<PromotionResponse>(ArtifactPath(slug, name) + $"/aliases/{Escape(alias)}/rollback", request, ct);

    public Task<IReadOnlyList<PromotionResponse>> ListPromotionsAsync(string slug, string? state = null, string? alias = null, string? artifact = null, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<PromotionResponse>>(PromotionsPath(slug) + Query(("state", state), ("alias", alias), ("artifact", artifact)), ct);

    /// <summary>Across projects: what waits for your review (<c>awaiting</c>), or your own requests (<c>mine</c>).</summary>
    public Task<IReadOnlyList<PromotionResponse>> PromotionQueueAsync(string scope = "awaiting", string? project = null, string? state = null, string? alias = null, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<PromotionResponse>>("api/v1/promotions" + Query(("scope", scope), ("project", project), ("state", state), ("alias", alias)), ct);

    public Task<PromotionDetailResponse> GetPromotionAsync(string slug, Guid id, CancellationToken ct = default) =>
        GetAsync<PromotionDetailResponse>($"{PromotionsPath(slug)}/{id}", ct);

    public Task<PromotionResponse> ApprovePromotionAsync(string slug, Guid id, string? comment = null, CancellationToken ct = default) =>
        PostAsync<PromotionResponse>($"{PromotionsPath(slug)}/{id}/approve", new PromotionDecisionRequest(comment), ct);

    public Task<PromotionResponse> RejectPromotionAsync(string slug, Guid id, string comment, CancellationToken ct = default) =>
        PostAsync<PromotionResponse>($"{PromotionsPath(slug)}/{id}/reject", new PromotionDecisionRequest(comment), ct);

    public Task<PromotionResponse> CommentOnPromotionAsync(string slug, Guid id, string text, CancellationToken ct = default) =>
        PostAsync<PromotionResponse>($"{PromotionsPath(slug)}/{id}/comments", new PromotionCommentRequest(text), ct);

    public Task<PromotionResponse> CancelPromotionAsync(string slug, Guid id, string? comment = null, CancellationToken ct = default) =>
        PostAsync<PromotionResponse>($"{PromotionsPath(slug)}/{id}/cancel", new PromotionDecisionRequest(comment), ct);

    public Task<PromotionResponse> ReconfirmPromotionAsync(string slug, Guid id, string? comment = null, CancellationToken ct = default) =>
        PostAsync<PromotionResponse>($"{PromotionsPath(slug)}/{id}/reconfirm", new PromotionDecisionRequest(comment), ct);

    public Task<PromotionResponse> ApplyPromotionAsync(string slug, Guid id, CancellationToken ct = default) =>
        PostAsync<PromotionResponse>($"{PromotionsPath(slug)}/{id}/apply", null, ct);

    public Task<PromotionResponse> ReviewPromotionAsync(string slug, Guid id, string? comment = null, CancellationToken ct = default) =>
        PostAsync<PromotionResponse>($"{PromotionsPath(slug)}/{id}/review", new PromotionDecisionRequest(comment), ct);
}
