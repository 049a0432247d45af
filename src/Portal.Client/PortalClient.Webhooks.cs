using System.Globalization;
using System.Net.Http.Json;
using Portal.Client.Models;

namespace Portal.Client;

public sealed partial class PortalClient
{
    private static string WebhooksPath(string slug) => $"api/v1/projects/{Escape(slug)}/webhooks";

    /// <summary>The project's webhooks (project admins).</summary>
    public Task<IReadOnlyList<WebhookResponse>> ListWebhooksAsync(string slug, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<WebhookResponse>>(WebhooksPath(slug), ct);

    public Task<WebhookResponse> GetWebhookAsync(string slug, Guid id, CancellationToken ct = default) =>
        GetAsync<WebhookResponse>($"{WebhooksPath(slug)}/{id}", ct);

    /// <summary>Adds a webhook; the signing secret is in the answer only this once.</summary>
    public Task<CreatedWebhookResponse> CreateWebhookAsync(string slug, CreateWebhookRequest request, CancellationToken ct = default) =>
        PostAsync<CreatedWebhookResponse>(WebhooksPath(slug), request, ct);

    public Task<WebhookResponse> UpdateWebhookAsync(string slug, Guid id, UpdateWebhookRequest request, CancellationToken ct = default) =>
        SendForAsync<WebhookResponse>(
            () => new HttpRequestMessage(HttpMethod.Patch, $"{WebhooksPath(slug)}/{id}") { Content = JsonContent.Create(request, options: Json) },
            idempotent: true, ct);

    public Task DeleteWebhookAsync(string slug, Guid id, CancellationToken ct = default) =>
        SendNoContentAsync(() => new HttpRequestMessage(HttpMethod.Delete, $"{WebhooksPath(slug)}/{id}"), idempotent: true, ct);

    /// <summary>Replaces the signing secret; the new one is in the answer only.</summary>
    public Task<CreatedWebhookResponse> RotateWebhookSecretAsync(string slug, Guid id, CancellationToken ct = default) =>
        PostAsync<CreatedWebhookResponse>($"{WebhooksPath(slug)}/{id}/secret", null, ct);

    /// <summary>The delivery log, newest first; pass the answer's continuation token as <paramref name="before"/> for older ones.</summary>
    public Task<PagedResponse<WebhookDeliveryResponse>> ListWebhookDeliveriesAsync(string slug, Guid id, int? limit = null, string? before = null, CancellationToken ct = default) =>
        GetAsync<PagedResponse<WebhookDeliveryResponse>>(
            $"{WebhooksPath(slug)}/{id}/deliveries" + Query(("limit", limit?.ToString(CultureInfo.InvariantCulture)), ("before", before)), ct);

    /// <summary>Sends a signed <c>webhook.test</c> event now; the answer is the first attempt's result.</summary>
    public Task<WebhookDeliveryResponse> SendWebhookTestAsync(string slug, Guid id, CancellationToken ct = default) =>
        PostAsync<WebhookDeliveryResponse>($"{WebhooksPath(slug)}/{id}/test", null, ct);
}
