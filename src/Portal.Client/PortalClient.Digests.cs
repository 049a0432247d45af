using System.Net.Http.Json;
using Portal.Client.Models;

namespace Portal.Client;

public sealed partial class PortalClient
{
    private static string DigestPath(string slug) => $"api/v1/projects/{Escape(slug)}/digest-subscription";

    /// <summary>Your digest subscription of the project; a <see cref="PortalApiException"/> with <c>digest_subscription_not_found</c> when you have none.</summary>
    public Task<DigestSubscriptionResponse> GetDigestSubscriptionAsync(string slug, CancellationToken ct = default) =>
        GetAsync<DigestSubscriptionResponse>(DigestPath(slug), ct);

    /// <summary>Subscribes you to the project's daily or weekly digest, or changes its schedule.</summary>
    public Task<DigestSubscriptionResponse> SetDigestSubscriptionAsync(string slug, DigestSubscriptionRequest request, CancellationToken ct = default) =>
        SendForAsync<DigestSubscriptionResponse>(
            () => new HttpRequestMessage(HttpMethod.Put, DigestPath(slug)) { Content = JsonContent.Create(request, options: Json) },
            idempotent: true, ct);

    /// <summary>Stops your digest of the project.</summary>
    public Task DeleteDigestSubscriptionAsync(string slug, CancellationToken ct = default) =>
        SendNoContentAsync(() => new HttpRequestMessage(HttpMethod.Delete, DigestPath(slug)), idempotent: true, ct);

    /// <summary>Your next digest as it would be sent now (subject, both bodies, counts; <c>Empty</c> when nothing would be sent).</summary>
    public Task<DigestPreviewResponse> PreviewDigestAsync(string slug, CancellationToken ct = default) =>
        GetAsync<DigestPreviewResponse>($"{DigestPath(slug)}/preview", ct);

    /// <summary>Sends your next digest now; nothing is sent for an empty period.</summary>
    public Task<DigestSendResponse> SendDigestNowAsync(string slug, CancellationToken ct = default) =>
        PostAsync<DigestSendResponse>($"{DigestPath(slug)}/send", null, ct);
}
