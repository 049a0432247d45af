using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Portal.Client;

/// <summary>
/// Typed client for the portal's <c>/api/v1</c>, one partial file per API area. Idempotent calls (reads, blob
/// uploads, the missing-blob query) are retried with exponential back-off on connection failures, time-outs and 5xx
/// answers; calls that change state are sent once, because repeating them could, for example, start two runs.
/// </summary>
public sealed partial class PortalClient : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <param name="baseUrl">The portal's address, e.g. <c>https://portal.example.com</c> (without <c>/api/v1</c>).</param>
    /// <param name="token">A personal API token (<c>ptl_…</c>).</param>
    /// <param name="handler">Optional transport, e.g. for proxies or tests; the client disposes it.</param>
    public PortalClient(Uri baseUrl, string token, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        // Blob transfers can take far longer than HttpClient's 100 s default; cancellation is the caller's tool.
        _http = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = new Uri(baseUrl.ToString().TrimEnd('/') + "/"),
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("portal-client", typeof(PortalClient).Assembly.GetName().Version?.ToString() ?? "0"));
        _ownsHttp = true;
    }

    /// <summary>Uses a caller-configured client (base address and authorization already set); it is not disposed.</summary>
    public PortalClient(HttpClient http)
    {
        _http = http ?? throw new ArgumentNullException(nameof(http));
    }

    public Uri BaseAddress => _http.BaseAddress!;

    /// <summary>How many times an idempotent call is retried after the first attempt.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>Delay before the first retry; each further retry doubles it (plus jitter).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The run whose inputs this client's downloads are: every version it downloads from is recorded as used by the
    /// run (once per version). Defaults to <c>PORTAL_RUN_ID</c>, which <c>portal run exec</c> sets for its command,
    /// so code run inside it gets its lineage without asking for it; null records nothing.
    /// </summary>
    public Guid? RunId { get; init; } = AmbientRun(Environment.GetEnvironmentVariable).RunId;

    /// <summary>
    /// The project of <see cref="RunId"/> (default <c>PORTAL_PROJECT</c>). A run can only use versions of its own
    /// project, so downloads from other projects are not recorded; null means "the project downloaded from".
    /// </summary>
    public string? RunProject { get; init; } = AmbientRun(Environment.GetEnvironmentVariable).Project;

    /// <summary>The run (<c>PORTAL_RUN_ID</c>) and its project (<c>PORTAL_PROJECT</c>) that <c>portal run exec</c> hands its command.</summary>
    public static (Guid? RunId, string? Project) AmbientRun(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        var run = Guid.TryParse(variable("PORTAL_RUN_ID"), out var id) ? id : (Guid?)null;
        var project = variable("PORTAL_PROJECT") is { Length: > 0 } slug && !string.IsNullOrWhiteSpace(slug) ? slug.Trim() : null;
        return (run, project);
    }

    private readonly ConcurrentDictionary<Guid, byte> _usedVersions = new();

    public void Dispose()
    {
        if (_ownsHttp)
            _http.Dispose();
    }

    internal static string Escape(string segment) => Uri.EscapeDataString(segment);

    internal static string Query(params (string Name, string? Value)[] parameters)
    {
        var parts = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    private Task<T> GetAsync<T>(string path, CancellationToken ct) =>
        SendForAsync<T>(() => new HttpRequestMessage(HttpMethod.Get, path), idempotent: true, ct);

    private Task<T> PostAsync<T>(string path, object? body, CancellationToken ct, bool idempotent = false) =>
        SendForAsync<T>(() => new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: Json) }, idempotent, ct);

    private async Task<T> SendForAsync<T>(Func<HttpRequestMessage> request, bool idempotent, CancellationToken ct)
    {
        using var response = await SendAsync(request, idempotent, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        return await ReadAsync<T>(response, ct).ConfigureAwait(false);
    }

    private async Task SendNoContentAsync(Func<HttpRequestMessage> request, bool idempotent, CancellationToken ct)
    {
        using var response = await SendAsync(request, idempotent, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken ct) =>
        await response.Content.ReadFromJsonAsync<T>(Json, ct).ConfigureAwait(false)
        ?? throw new PortalApiException(response.StatusCode, ErrorCodes.InternalError, "The portal sent an empty answer.");

    /// <summary>
    /// Sends a request built fresh for every attempt (a request message can be sent only once) and throws
    /// <see cref="PortalApiException"/> for an error answer. The caller disposes the successful response.
    /// </summary>
    internal async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> build, bool idempotent, HttpCompletionOption completion, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var retriesLeft = idempotent && attempt < MaxRetries;
            HttpResponseMessage response;
            using (var request = build())
            {
                try
                {
                    response = await _http.SendAsync(request, completion, ct).ConfigureAwait(false);
                }
                catch (HttpRequestException ex) when (ex.InnerException is BlobFileChangedException changed)
                {
                    // Sending again would read the same changed file: report it as it is.
                    throw changed;
                }
                catch (HttpRequestException) when (retriesLeft)
                {
                    await BackOffAsync(attempt, ct).ConfigureAwait(false);
                    continue;
                }
                catch (HttpRequestException ex)
                {
                    throw new PortalApiException(0, PortalApiException.ConnectionFailed, $"Cannot reach the portal at {BaseAddress}: {ex.Message}");
                }
                catch (TaskCanceledException ex) when (!ct.IsCancellationRequested && retriesLeft && ex.InnerException is TimeoutException)
                {
                    await BackOffAsync(attempt, ct).ConfigureAwait(false);
                    continue;
                }
            }

            if (response.IsSuccessStatusCode)
                return response;
            if (retriesLeft && IsTransient(response.StatusCode))
            {
                response.Dispose();
                await BackOffAsync(attempt, ct).ConfigureAwait(false);
                continue;
            }

            using (response)
                throw await ToExceptionAsync(response, ct).ConfigureAwait(false);
        }
    }

    private static bool IsTransient(HttpStatusCode status) =>
        (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;

    private Task BackOffAsync(int attempt, CancellationToken ct)
    {
        // Jitter keeps many parallel uploads that failed together from retrying in lock-step.
        var delay = RetryDelay * Math.Pow(2, attempt) * (0.8 + Random.Shared.NextDouble() * 0.4);
        return Task.Delay(delay, ct);
    }

    private static async Task<PortalApiException> ToExceptionAsync(HttpResponseMessage response, CancellationToken ct)
    {
        string? code = null, detail = null;
        try
        {
            var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (body.Length > 0 && body[0] == '{')
            {
                using var problem = JsonDocument.Parse(body);
                var root = problem.RootElement;
                code = root.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                detail = root.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()
                    : root.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            }
        }
        catch (JsonException)
        {
            // Not problem details (a proxy's HTML page, say): fall back to the status line below.
        }

        return new PortalApiException(
            response.StatusCode,
            code ?? $"http_{(int)response.StatusCode}",
            detail ?? $"The portal answered {(int)response.StatusCode} {response.ReasonPhrase}.");
    }
}
