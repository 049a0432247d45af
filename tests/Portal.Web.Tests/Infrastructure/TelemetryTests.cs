using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Portal.Web.Tests.Features.Artifacts;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>Settings <c>Telemetry:*</c>: the Prometheus scrape endpoint shows the portal's own meter; JSON console logs.</summary>
public sealed class TelemetryTests(TelemetryTests.PrometheusApp app) : IClassFixture<TelemetryTests.PrometheusApp>
{
    public sealed class PrometheusApp() : PortalApp(Portal.Core.Data.DatabaseProvider.Sqlite)
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Telemetry:Prometheus:Enabled"] = "true",
        };
    }

    [Fact]
    public async Task An_upload_shows_in_the_scraped_metrics()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        var uploads = new ArtifactUploads(app.ClientWithToken(team.Contributor.Token), team.Slug);
        var committed = await uploads.PublishAsync("metered", [ArtifactUploads.File("a.txt"), ArtifactUploads.File("b.txt")]);
        Assert.Equal(CreateVersionStatus.Committed, committed.Status);

        var response = await app.AnonymousClient().GetAsync("/metrics");
        var scrape = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {scrape}");
        Assert.True(Sum(scrape, "portal_blobs_uploaded", "_total") > 0, "no uploaded bytes in:\n" + scrape);
        Assert.True(Sum(scrape, "portal_versions_commit_duration", "_count") >= 1, "no commit latency in:\n" + scrape);
        Assert.True(Sum(scrape, "http_server_request_duration", "_count") >= 1, "no ASP.NET Core request metrics in:\n" + scrape);
    }

    [Fact]
    public async Task A_scrape_from_outside_the_allowed_networks_is_not_found()
    {
        var client = app.AnonymousClient();
        client.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.9");
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public void Loopback_and_allowed_networks_may_scrape_others_may_not()
    {
        System.Net.IPNetwork[] allowed = [System.Net.IPNetwork.Parse("10.1.0.0/16")];
        static Microsoft.AspNetCore.Http.DefaultHttpContext From(string address) =>
            new() { Connection = { RemoteIpAddress = IPAddress.Parse(address) } };
        Assert.True(Portal.Web.Infrastructure.Telemetry.MayScrape(From("127.0.0.1"), allowed));
        Assert.True(Portal.Web.Infrastructure.Telemetry.MayScrape(From("::1"), allowed));
        Assert.True(Portal.Web.Infrastructure.Telemetry.MayScrape(From("::ffff:10.1.2.3"), allowed));
        Assert.False(Portal.Web.Infrastructure.Telemetry.MayScrape(From("10.2.0.1"), allowed));
        Assert.False(Portal.Web.Infrastructure.Telemetry.MayScrape(From("203.0.113.9"), []));
    }

    [Fact]
    public async Task Without_the_setting_there_is_no_scrape_endpoint()
    {
        var plain = new SqliteApp();
        await ((IAsyncLifetime)plain).InitializeAsync();
        try
        {
            var response = await plain.AnonymousClient().GetAsync("/metrics");
            Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            await ((IAsyncLifetime)plain).DisposeAsync();
        }
    }

    [Fact]
    public void The_json_console_formatter_writes_one_json_object_per_line()
    {
        var output = new StringWriter();
        var previous = Console.Out;
        Console.SetOut(output);
        try
        {
            var configuration = new ConfigurationBuilder()
                .AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:Console:FormatterName"] = "json" })
                .Build();
            using (var factory = LoggerFactory.Create(logging => logging.AddConfiguration(configuration.GetSection("Logging")).AddConsole()))
                factory.CreateLogger("Portal.Tests").LogWarning("Stored {Bytes} bytes", 42);
        }
        finally
        {
            Console.SetOut(previous);
        }

        // Other tests' hosts log too; this test's line is the one of its category.
        var line = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Single(l => l.Contains("Portal.Tests", StringComparison.Ordinal));
        using var json = System.Text.Json.JsonDocument.Parse(line);
        Assert.Equal("Warning", json.RootElement.GetProperty("LogLevel").GetString());
        Assert.Equal("Stored 42 bytes", json.RootElement.GetProperty("Message").GetString());
        Assert.Equal("42", json.RootElement.GetProperty("State").GetProperty("Bytes").ToString());
    }

    /// <summary>The sum of the samples of the metric whose name starts with <paramref name="prefix"/> and ends with <paramref name="suffix"/>.</summary>
    private static double Sum(string scrape, string prefix, string suffix) =>
        scrape.Split('\n')
            .Where(l => l.StartsWith(prefix, StringComparison.Ordinal))
            .Select(l => (Name: l.Split('{', ' ')[0], Value: l.Split(' ')[^1]))
            .Where(s => s.Name.EndsWith(suffix, StringComparison.Ordinal))
            .Sum(s => double.Parse(s.Value, CultureInfo.InvariantCulture));
}
