using System.Security.Claims;
using Portal.Client.Models;
using Portal.Core.Features.Maintenance;

namespace Portal.Web.Features.Maintenance;

public static class MaintenanceEndpoints
{
    public static RouteGroupBuilder MapMaintenanceApi(this RouteGroupBuilder api)
    {
        var admin = api.MapGroup("/admin/maintenance").WithTags("Maintenance").ProducesProblem(StatusCodes.Status403Forbidden);

        admin.MapGet("/runs", (ClaimsPrincipal user, MaintenanceRuns useCase, string? job, int? limit, CancellationToken ct) =>
                useCase.ListAsync(user, job, limit, ct))
            .WithName("ListMaintenanceRuns")
            .WithSummary("Maintenance run reports, newest first (site admins); ?job= pending-expiry | integrity-scrub | retention | garbage-collection.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        admin.MapPost("/jobs/{job}/run", async (string job, ClaimsPrincipal user, MaintenanceRuns useCase, CancellationToken ct) =>
            {
                var run = await useCase.RunNowAsync(user, job, ct);
                return TypedResults.Accepted($"/api/v1/admin/maintenance/runs?job={job}", run);
            })
            .WithName("RunMaintenanceJob")
            .WithSummary("Queues a run of the job now (site admins); the answer is its report in state queued.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        var retention = api.MapGroup("/projects/{slug}/retention-policies").WithTags("Maintenance")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        retention.MapGet("/", (string slug, ClaimsPrincipal user, RetentionPolicies useCase, CancellationToken ct) =>
                useCase.ListAsync(user, slug, ct))
            .WithName("ListRetentionPolicies").WithSummary("How long the project keeps versions, per artifact type (* = any other type).");

        retention.MapPut("/{type}", (string slug, string type, ClaimsPrincipal user, RetentionPolicies useCase, RetentionPolicyRequest request, CancellationToken ct) =>
                useCase.PutAsync(user, slug, type, request, ct))
            .WithName("SetRetentionPolicy")
            .WithSummary("Keeps committed versions of the type for keepDays days (project admins). Never removed: the latest version, versions behind a custom alias, and versions upstream of one.")
            .ProducesProblem(StatusCodes.Status400BadRequest);

        retention.MapDelete("/{type}", async (string slug, string type, ClaimsPrincipal user, RetentionPolicies useCase, CancellationToken ct) =>
            {
                await useCase.DeleteAsync(user, slug, type, ct);
                return TypedResults.NoContent();
            })
            .WithName("DeleteRetentionPolicy").WithSummary("Keeps versions of the type for ever again.");

        api.MapGet("/projects/{slug}/retention-removals", (string slug, ClaimsPrincipal user, RetentionPolicies useCase, int? limit, CancellationToken ct) =>
                useCase.RemovalsAsync(user, slug, limit, ct))
            .WithTags("Maintenance").WithName("ListRetentionRemovals")
            .WithSummary("Versions retention removed from the project, newest first (project admins).")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/projects/{slug}/versions/{id:guid}/integrity", (string slug, Guid id, ClaimsPrincipal user, VersionIntegrity useCase, CancellationToken ct) =>
                useCase.ListAsync(user, slug, id, ct))
            .WithTags("Maintenance").WithName("GetVersionIntegrity")
            .WithSummary("Blobs of the version that the integrity scrub found corrupt or missing (empty when none).")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        return api;
    }
}
