using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Http.Resilience;
using Polly;

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

    /// <summary>Delay before the first retry; each further retry doubles it (plus jitter), unless the portal's <c>Retry-After</c> asks for longer.</summary>
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
    /// Idempotent calls go through the retry pipeline (<see cref="Retries"/>); the others are sent once.
    /// </summary>
    internal async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> build, bool idempotent, HttpCompletionOption completion, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = idempotent
                ? await Retries.ExecuteAsync(async token => await SendOnceAsync(build, completion, token).ConfigureAwait(false), ct).ConfigureAwait(false)
                : await SendOnceAsync(build, completion, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (ex.InnerException is BlobFileChangedException changed)
        {
            // Sending again would read the same changed file: report it as it is.
            throw changed;
        }
        catch (HttpRequestException ex)
        {
            throw new PortalApiException(0, PortalApiException.ConnectionFailed, $"Cannot reach the portal at {BaseAddress}: {ex.Message}");
        }

        if (response.IsSuccessStatusCode)
            return response;
        using (response)
            throw await ToExceptionAsync(response, ct).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendOnceAsync(Func<HttpRequestMessage> build, HttpCompletionOption completion, CancellationToken ct)
    {
        using var request = build();
        return await _http.SendAsync(request, completion, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Exponential back-off with jitter (so many parallel uploads that failed together do not retry in lock-step) on
    /// connection failures, time-outs, 408, 429 and 5xx, waiting as long as a <c>Retry-After</c> header asks.
    /// A file that changed under an upload is not retried: sending again would read the same changed file.
    /// </summary>
    private ResiliencePipeline<HttpResponseMessage> Retries => _retries ??= new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = TimeProvider }
        .AddRetry(new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = Math.Max(MaxRetries, 1),
            ShouldHandle = args => ValueTask.FromResult(MaxRetries > 0 && IsTransient(args.Outcome, args.Context.CancellationToken)),
            Delay = RetryDelay,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            ShouldRetryAfterHeader = true,
        })
        .Build();

    private ResiliencePipeline<HttpResponseMessage>? _retries;

    /// <summary>The clock the retry delays wait on (tests pass a fake one).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    private static bool IsTransient(Outcome<HttpResponseMessage> outcome, CancellationToken ct) => outcome switch
    {
        { Exception: HttpRequestException { InnerException: BlobFileChangedException } } => false,
        { Exception: HttpRequestException } => true,
        { Exception: TaskCanceledException { InnerException: TimeoutException } } => !ct.IsCancellationRequested,
        { Result: { } response } => (int)response.StatusCode >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests,
        _ => false,
    };

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
