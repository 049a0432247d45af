using System.Net;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Portal.Core;
using static Portal.Core.ValidatedOptions;
using IPNetwork = System.Net.IPNetwork;

namespace Portal.Web.Infrastructure;

/// <summary>
/// Settings <c>Telemetry:*</c>: where the portal's metrics and traces go. Nothing is collected unless an exporter is
/// on. docs/observability.md lists the instruments and spans.
/// </summary>
public sealed class TelemetryOptions : IValidatedOptions
{
    public const string Section = "Telemetry";

    /// <summary>The <c>service.name</c> resource attribute; tell web and worker apart with <c>service.instance.id</c> (the host name).</summary>
    public string ServiceName { get; set; } = "portal";

    public PrometheusTelemetryOptions Prometheus { get; set; } = new();

    public OtlpTelemetryOptions Otlp { get; set; } = new();

    public bool CollectsMetrics => Prometheus.Enabled || Otlp.Enabled;

    public IEnumerable<string> Problems() =>
        Required("Telemetry:ServiceName", ServiceName)
            .Concat(Prometheus.Path.StartsWith('/') ? [] : [$"Telemetry:Prometheus:Path must start with / such as /metrics (it is '{Prometheus.Path}')."])
            .Concat(Networks("Telemetry:Prometheus:AllowedNetworks", Prometheus.AllowedNetworks))
            .Concat(HttpUrl("Telemetry:Otlp:Endpoint", Otlp.Endpoint))
            .Concat(OneOf("Telemetry:Otlp:Protocol", Otlp.Protocol, OtlpTelemetryOptions.Grpc, OtlpTelemetryOptions.HttpProtobuf));
}

/// <summary>
/// A Prometheus scrape endpoint. It answers only requests from loopback or from <see cref="AllowedNetworks"/> (the
/// address a trusted proxy reported, see <c>ForwardedHeaders</c>); everyone else gets 404, as if it were not there.
/// </summary>
public sealed class PrometheusTelemetryOptions
{
    public bool Enabled { get; set; }

    public string Path { get; set; } = "/metrics";

    /// <summary>Networks, in CIDR form (<c>10.0.0.0/8</c>), that may scrape besides loopback: where Prometheus runs.</summary>
    public List<string> AllowedNetworks { get; set; } = [];
}

/// <summary>An OpenTelemetry collector (or any OTLP receiver) that gets traces and metrics.</summary>
public sealed class OtlpTelemetryOptions
{
    public const string Grpc = "grpc";
    public const string HttpProtobuf = "http/protobuf";

    /// <summary>The receiver's base address, e.g. <c>http://otel-collector:4317</c> (gRPC) or <c>:4318</c> (HTTP); empty: no OTLP export.</summary>
    public string? Endpoint { get; set; }

    /// <summary><c>grpc</c> or <c>http/protobuf</c> (then <c>/v1/traces</c> and <c>/v1/metrics</c> are appended to the endpoint).</summary>
    public string Protocol { get; set; } = Grpc;

    public bool Enabled => !string.IsNullOrWhiteSpace(Endpoint);
}

public static class Telemetry
{
    /// <summary>
    /// OpenTelemetry metrics and traces: ASP.NET Core, HttpClient and the portal's own <see cref="PortalTelemetry"/>
    /// meter and activity source. The providers are built from the final configuration when the host starts (the
    /// exporters are settings), so a test host's settings count as much as the environment's.
    /// </summary>
    public static IServiceCollection AddPortalTelemetry(this IServiceCollection services)
    {
        services.AddValidatedOptions<TelemetryOptions>(TelemetryOptions.Section);
        services.AddSingleton<TelemetryProviders>();
        services.AddHostedService(sp => new TelemetryStart(sp.GetRequiredService<TelemetryProviders>()));
        return services;
    }

    /// <summary>The Prometheus scrape endpoint, when <c>Telemetry:Prometheus:Enabled</c>; for loopback and the allowed networks only.</summary>
    public static IEndpointRouteBuilder MapMetricsEndpoint(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<IOptions<TelemetryOptions>>().Value.Prometheus;
        if (!options.Enabled)
            return app;
        var allowed = options.AllowedNetworks.Select(n => IPNetwork.Parse(n.Trim())).ToList();
        var meterProvider = app.ServiceProvider.GetRequiredService<TelemetryProviders>().Meters;
        app.MapPrometheusScrapingEndpoint(options.Path, meterProvider, branch => branch.Use(async (http, next) =>
            {
                if (!MayScrape(http, allowed))
                {
                    http.Response.StatusCode = StatusCodes.Status404NotFound;
                    return;
                }
                await next(http);
            }), optionsName: null)
            .AllowAnonymous()
            .ExcludeFromDescription();
        return app;
    }

    /// <summary>
    /// Loopback or an allowed network, as the connection (or a trusted proxy) says. A request that still carries
    /// <c>X-Forwarded-For</c> came through a proxy the portal does not trust: its peer address says nothing about the
    /// client, so it is refused.
    /// </summary>
    internal static bool MayScrape(HttpContext http, IReadOnlyList<IPNetwork> allowed)
    {
        if (http.Request.Headers.ContainsKey("X-Forwarded-For"))
            return false;
        var remote = http.Connection.RemoteIpAddress;
        // No address: an in-process or Unix-socket connection, local by nature.
        if (remote is null)
            return true;
        if (remote.IsIPv4MappedToIPv6)
            remote = remote.MapToIPv4();
        return IPAddress.IsLoopback(remote) || allowed.Any(n => n.Contains(remote));
    }

    private sealed class TelemetryStart(TelemetryProviders providers) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = providers.Meters;
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>The meter and tracer providers, built once from <see cref="TelemetryOptions"/>; disposing flushes the exporters.</summary>
internal sealed class TelemetryProviders : IDisposable
{
    private readonly TracerProvider? _tracers;

    public TelemetryProviders(IOptions<TelemetryOptions> options, IHostEnvironment environment)
    {
        var settings = options.Value;
        void Resource(ResourceBuilder resource) => resource
            .AddService(settings.ServiceName, serviceVersion: typeof(TelemetryProviders).Assembly.GetName().Version?.ToString(), serviceInstanceId: Environment.MachineName)
            .AddAttributes([new("deployment.environment.name", environment.EnvironmentName)]);

        if (settings.CollectsMetrics)
        {
            var meters = Sdk.CreateMeterProviderBuilder()
                .ConfigureResource(Resource)
                .AddMeter(PortalTelemetry.Name)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation();
            if (settings.Prometheus.Enabled)
                meters.AddPrometheusExporter();
            if (settings.Otlp.Enabled)
                meters.AddOtlpExporter(o => Otlp(o, settings.Otlp, "v1/metrics"));
            Meters = meters.Build();
        }

        // Traces need somewhere to go: without OTLP no spans are sampled, so requests pay nothing for them.
        if (settings.Otlp.Enabled)
        {
            _tracers = Sdk.CreateTracerProviderBuilder()
                .ConfigureResource(Resource)
                .AddSource(PortalTelemetry.Name)
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !IsProbe(http.Request.Path, settings.Prometheus.Path))
                .AddHttpClientInstrumentation()
                .AddOtlpExporter(o => Otlp(o, settings.Otlp, "v1/traces"))
                .Build();
        }
    }

    public MeterProvider? Meters { get; }

    private static void Otlp(OtlpExporterOptions exporter, OtlpTelemetryOptions settings, string signalPath)
    {
        var endpoint = settings.Endpoint!.TrimEnd('/');
        if (settings.Protocol.Equals(OtlpTelemetryOptions.HttpProtobuf, StringComparison.OrdinalIgnoreCase))
        {
            exporter.Protocol = OtlpExportProtocol.HttpProtobuf;
            exporter.Endpoint = new Uri(endpoint + "/" + signalPath);
        }
        else
        {
            exporter.Protocol = OtlpExportProtocol.Grpc;
            exporter.Endpoint = new Uri(endpoint);
        }
    }

    /// <summary>Probes and scrapes come every few seconds and say nothing about users' requests.</summary>
    private static bool IsProbe(PathString path, string metricsPath) => path.StartsWithSegments("/healthz") || path.StartsWithSegments(metricsPath);

    public void Dispose()
    {
        _tracers?.Dispose();
        Meters?.Dispose();
    }
}
