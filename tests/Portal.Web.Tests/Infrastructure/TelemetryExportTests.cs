using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Hangfire;
using Hangfire.Common;
using Hangfire.InMemory;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Portal.Core;
using Portal.Core.Jobs;
using Portal.Web.Infrastructure;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>
/// The job telemetry filter on a real Hangfire server (in-memory storage), and the OTLP exporter setting against a
/// local receiver: setting the endpoint is what makes traces and metrics leave the process.
/// </summary>
public sealed class TelemetryExportTests
{
    [Fact]
    public async Task Each_job_records_its_duration_by_outcome_and_a_failure_is_counted()
    {
        var seen = new ConcurrentQueue<(string Instrument, double Value, string? JobType, string? Outcome, string? ErrorType)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PortalTelemetry.Name && (instrument == PortalTelemetry.JobDuration || instrument == PortalTelemetry.JobFailures))
                l.EnableMeasurementEvents(instrument);
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? jobType = null, outcome = null, errorType = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "job_type")
                    jobType = tag.Value as string;
                else if (tag.Key == "outcome")
                    outcome = tag.Value as string;
                else if (tag.Key == "error.type")
                    errorType = tag.Value as string;
            }
            // Other tests in this process may run jobs too; only this test's job class counts.
            if (jobType == nameof(TelemetrySampleJobs))
                seen.Enqueue((instrument.Name, value, jobType, outcome, errorType));
        }
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.Start();

        var storage = new InMemoryStorage();
        var client = new BackgroundJobClient(storage);
        var options = new BackgroundJobServerOptions
        {
            WorkerCount = 1,
            // Only the telemetry filter: no automatic retry, so the failing job fails once.
            FilterProvider = new JobFilterCollection { new JobTelemetryFilter() },
            // Its own activator: the process-wide one may belong to another test's host, disposed by now, and a job's
            // scope is begun even for a static method.
            Activator = new JobActivator(),
        };
        using (new BackgroundJobServer(options, storage))
        {
            client.Enqueue(() => TelemetrySampleJobs.Succeed());
            client.Enqueue(() => TelemetrySampleJobs.Fail());
            // A loaded machine may make Hangfire perform a job twice (a state change that timed out re-queues it), so
            // the test waits for one run of each outcome rather than for exactly two runs.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!seen.Any(m => m.Instrument == "portal.jobs.duration" && m.Outcome == "succeeded")
                || !seen.Any(m => m.Instrument == "portal.jobs.duration" && m.Outcome == "failed")
                || !seen.Any(m => m.Instrument == "portal.jobs.failures"))
            {
                Assert.True(DateTime.UtcNow < deadline, "the jobs were not measured: " + string.Join(", ", seen));
                await Task.Delay(50);
            }
        }

        var durations = seen.Where(m => m.Instrument == "portal.jobs.duration").ToList();
        Assert.Equal(["failed", "succeeded"], durations.Select(m => m.Outcome).Distinct().Order(StringComparer.Ordinal));
        Assert.All(durations, m => Assert.True(m.Value >= 0));
        Assert.Contains(durations, m => m.Outcome == "succeeded" && m.Value >= 0.05);
        Assert.All(durations, m => Assert.Equal(m.Outcome == "failed" ? typeof(InvalidOperationException).FullName : null, m.ErrorType));
        var failures = seen.Where(m => m.Instrument == "portal.jobs.failures").ToList();
        Assert.All(failures, m => Assert.Equal((1, typeof(InvalidOperationException).FullName), (m.Value, m.ErrorType)));
        Assert.Equal(durations.Count(m => m.Outcome == "failed"), failures.Count);
    }

    [Fact]
    public async Task Setting_the_otlp_endpoint_sends_traces_and_metrics_to_it()
    {
        using var receiver = new OtlpReceiver();
        var settings = new TelemetryOptions { Otlp = { Endpoint = receiver.Address, Protocol = OtlpTelemetryOptions.HttpProtobuf } };
        using (new TelemetryProviders(Options.Create(settings), new TestEnvironment()))
        {
            using (PortalTelemetry.ActivitySource.StartActivity("otlp-test"))
                PortalTelemetry.JobFailures.Add(1, new KeyValuePair<string, object?>("job_type", "otlp-test"));
        }

        // Disposing the providers flushed both exporters.
        var paths = await receiver.WaitForAsync(["/v1/traces", "/v1/metrics"], TimeSpan.FromSeconds(30));
        Assert.Contains("/v1/traces", paths);
        Assert.Contains("/v1/metrics", paths);
    }

    [Fact]
    public void Without_an_endpoint_or_a_scrape_endpoint_no_meter_provider_is_built()
    {
        using var providers = new TelemetryProviders(Options.Create(new TelemetryOptions()), new TestEnvironment());
        Assert.Null(providers.Meters);
    }

    private sealed class TestEnvironment : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Test";

        public string ApplicationName { get; set; } = "Portal.Web.Tests";

        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }

    /// <summary>Accepts OTLP/HTTP posts on a free loopback port and remembers their paths.</summary>
    private sealed class OtlpReceiver : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly ConcurrentQueue<string> _paths = new();
        private readonly Task _loop;

        public OtlpReceiver()
        {
            for (var attempt = 0; ; attempt++)
            {
                var port = Random.Shared.Next(20_000, 60_000);
                Address = $"http://127.0.0.1:{port}";
                _listener.Prefixes.Clear();
                _listener.Prefixes.Add(Address + "/");
                try
                {
                    _listener.Start();
                    break;
                }
                catch (HttpListenerException) when (attempt < 20)
                {
                }
            }
            _loop = Task.Run(async () =>
            {
                while (_listener.IsListening)
                {
                    HttpListenerContext context;
                    try
                    {
                        context = await _listener.GetContextAsync();
                    }
                    catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                    {
                        return;
                    }
                    await context.Request.InputStream.CopyToAsync(Stream.Null);
                    _paths.Enqueue(context.Request.Url!.AbsolutePath);
                    context.Response.StatusCode = 200;
                    context.Response.ContentType = "application/x-protobuf";
                    context.Response.Close();
                }
            });
        }

        public string Address { get; }

        public async Task<IReadOnlyList<string>> WaitForAsync(IReadOnlyList<string> paths, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline && !paths.All(_paths.Contains))
                await Task.Delay(50);
            return _paths.Distinct().ToList();
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
    }
}

/// <summary>Jobs for <see cref="TelemetryExportTests"/>: one that takes a moment and one that throws.</summary>
public static class TelemetrySampleJobs
{
    public static void Succeed() => Thread.Sleep(60);

    public static void Fail() => throw new InvalidOperationException("This job fails on purpose.");
}
