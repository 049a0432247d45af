using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;

namespace Portal.Web.Features.Health;

public static class HealthEndpoints
{
    /// <summary><c>/healthz</c>: 200 when the database answers, 503 otherwise. Anonymous, for load balancers and probes.</summary>
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", async (IDbContextFactory<PortalDbContext> dbFactory, CancellationToken ct) =>
            {
                try
                {
                    await using var db = await dbFactory.CreateDbContextAsync(ct);
                    var ok = await db.Database.CanConnectAsync(ct) && await db.AuditChainHeads.AnyAsync(ct);
                    return ok
                        ? Results.Ok(new { status = "healthy", database = "ok" })
                        : Results.Json(new { status = "unhealthy", database = "unreachable" }, statusCode: 503);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    return Results.Json(new { status = "unhealthy", database = ex.GetType().Name }, statusCode: 503);
                }
            })
            .AllowAnonymous().WithTags("Health").WithName("Health");
        return app;
    }
}
