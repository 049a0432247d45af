using Hangfire;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Portal.Web.Infrastructure;

namespace Portal.Web.Tests.Infrastructure;

/// <summary><c>--role web|worker|all</c>: web replicas serve pages and API without jobs; workers run jobs only.</summary>
public sealed class PortalRoleTests
{
    private sealed class RoleApp(string role, bool runServerSetting) : PortalApp(Portal.Core.Data.DatabaseProvider.Sqlite)
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["role"] = role,
            ["Jobs:RunServer"] = runServerSetting ? "true" : "false",
        };
    }

    private static async Task<int> RunningJobServersAsync(PortalApp app)
    {
        // The server registers itself with the storage a moment after the host starts.
        for (var i = 0; i < 50; i++)
        {
            var servers = app.Services.GetRequiredService<JobStorage>().GetMonitoringApi().Servers().Count;
            if (servers > 0)
                return servers;
            await Task.Delay(100);
        }
        return 0;
    }

    /// <summary>Disposes the host and removes its database and storage folder.</summary>
    private static AsyncDisposal Disposal(PortalApp app) => new(app);

    private sealed class AsyncDisposal(PortalApp app) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await ((IAsyncLifetime)app).DisposeAsync();
    }

    [Fact]
    public async Task A_worker_runs_jobs_and_answers_health_probes_but_serves_no_pages_or_api()
    {
        var app = new RoleApp("worker", runServerSetting: false);
        await using var _ = Disposal(app);
        await ((IAsyncLifetime)app).InitializeAsync();
        var client = app.AdminClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/me")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.AnonymousClient().GetAsync("/account/login")).StatusCode);
        Assert.True(app.Services.GetRequiredService<JobsOptions>().RunServer);
        Assert.True(await RunningJobServersAsync(app) > 0, "the worker started no job server");
    }

    [Fact]
    public async Task A_web_replica_serves_pages_and_api_and_runs_no_jobs_whatever_jobs_settings_say()
    {
        var app = new RoleApp("web", runServerSetting: true);
        await using var _ = Disposal(app);
        await ((IAsyncLifetime)app).InitializeAsync();
        Assert.Equal(HttpStatusCode.OK, (await app.AdminClient().GetAsync("/api/v1/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.AnonymousClient().GetAsync("/account/login")).StatusCode);
        Assert.False(app.Services.GetRequiredService<JobsOptions>().RunServer);
        await Task.Delay(500);
        Assert.Empty(app.Services.GetRequiredService<JobStorage>().GetMonitoringApi().Servers());
    }

    [Fact]
    public async Task All_is_the_default_and_an_unknown_role_stops_the_start_with_a_message()
    {
        Assert.Equal(PortalRole.All, PortalRoles.Read(new ConfigurationBuilder().Build()));
        Assert.Equal(PortalRole.Worker, PortalRoles.Read(new ConfigurationBuilder().AddCommandLine(["--role", "WORKER"]).Build()));
        Assert.Equal(PortalRole.Web, PortalRoles.Read(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Portal:Role"] = "web" }).Build()));

        var app = new RoleApp("cook", runServerSetting: false);
        await using var _ = Disposal(app);
        var error = await Assert.ThrowsAnyAsync<Exception>(() => ((IAsyncLifetime)app).InitializeAsync());
        Assert.Contains("--role web", error.ToString(), StringComparison.Ordinal);
    }
}
