using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Portal.Core.Data;
using Portal.Core.Storage;
using Portal.Web.Infrastructure;

namespace Portal.Web.Features.Health;

/// <summary>
/// Probes, anonymous: <c>/healthz/live</c> (the process answers; no dependency is asked) and <c>/healthz/ready</c>
/// (database, blob store and job storage answer). <c>/healthz</c> is the ready check, as it always was. Anonymous
/// callers see each check's status only; a signed-in site admin also sees what failed.
/// </summary>
public static class HealthEndpoints
{
    private const string Live = "live";
    private const string Ready = "ready";
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(10);

    public static IServiceCollection AddPortalHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck("process", () => HealthCheckResult.Healthy(), tags: [Live])
            // The schema's seed row, not only a connection: a database without the portal's tables cannot serve it.
            .AddDbContextCheck<PortalDbContext>("database", tags: [Ready],
                customTestQuery: async (db, ct) => await db.Database.CanConnectAsync(ct) && await ChainHeadExistsAsync(db, ct))
            // The object store itself, below the pack layer: the check asks the storage, not the database's pack index.
            .Add(new HealthCheckRegistration("blob_store",
                sp => new BlobStoreHealthCheck(sp.GetRequiredKeyedService<IBlobStore>(StorageServiceCollectionExtensions.ObjectStoreKey)),
                failureStatus: null, tags: [Ready], timeout: CheckTimeout))
            .AddCheck<JobStorageHealthCheck>("job_storage", tags: [Ready], timeout: CheckTimeout);
        return services;
    }

    /// <summary>
    /// Whether the audit chain's head row exists, without waiting for a writer: every audited write locks that row
    /// until it commits, so on SQL Server (should READ_COMMITTED_SNAPSHOT be off) a plain read would queue behind it.
    /// The row's existence is all the probe asks, so a read that takes no shared lock (NOLOCK) is exact here.
    /// </summary>
    internal static async Task<bool> ChainHeadExistsAsync(PortalDbContext db, CancellationToken ct) =>
        db.Database.Provider() == DatabaseProvider.SqlServer
            ? await db.Database.SqlQueryRaw<int>("SELECT COUNT(*) AS [Value] FROM [AuditChainHeads] WITH (NOLOCK)").SingleAsync(ct) > 0
            : await db.AuditChainHeads.AnyAsync(ct);

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        var ready = new HealthCheckOptions { Predicate = c => c.Tags.Contains(Ready), ResponseWriter = WriteAsync };
        app.MapHealthChecks("/healthz", ready).AllowAnonymous().WithTags("Health").WithName("Health");
        app.MapHealthChecks("/healthz/ready", ready).AllowAnonymous().WithTags("Health").WithName("HealthReady");
        app.MapHealthChecks("/healthz/live", new HealthCheckOptions { Predicate = c => c.Tags.Contains(Live), ResponseWriter = WriteAsync })
            .AllowAnonymous().WithTags("Health").WithName("HealthLive");
        return app;
    }

    /// <summary>
    /// <c>{"status":"healthy","database":"ok","checks":{"database":{"status":"healthy"},…}}</c>. <c>database</c> stays
    /// for the callers that read it before the other checks existed. Exception details never leave the process for
    /// anonymous callers; site admins get each check's description.
    /// </summary>
    private static Task WriteAsync(HttpContext http, HealthReport report)
    {
        var admin = http.User.HasClaim(PortalClaims.SiteAdmin, "true");
        var checks = report.Entries.ToDictionary(e => e.Key, e => new CheckBody(
            Status(e.Value.Status),
            admin ? e.Value.Description ?? e.Value.Exception?.Message : null,
            Math.Round(e.Value.Duration.TotalMilliseconds, 1)));
        string? database = report.Entries.TryGetValue("database", out var db) ? db.Status == HealthStatus.Healthy ? "ok" : "unreachable" : null;
        http.Response.ContentType = "application/json; charset=utf-8";
        return http.Response.WriteAsJsonAsync(new ReportBody(Status(report.Status), database, checks), JsonOptions, http.RequestAborted);
    }

    private static string Status(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "healthy",
        HealthStatus.Degraded => "degraded",
        _ => "unhealthy",
    };

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private sealed record ReportBody(string Status, string? Database, IReadOnlyDictionary<string, CheckBody> Checks);

    private sealed record CheckBody(string Status, string? Description, double DurationMs);
}
