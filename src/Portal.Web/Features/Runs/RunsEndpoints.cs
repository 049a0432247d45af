using System.Security.Claims;
using Portal.Client.Models;
using Portal.Core.Features.Runs;

namespace Portal.Web.Features.Runs;

public static class RunsEndpoints
{
    public static RouteGroupBuilder MapRunsApi(this RouteGroupBuilder api)
    {
        var runs = api.MapGroup("/projects/{slug}/runs").WithTags("Runs");

        runs.MapPost("/", async (string slug, ClaimsPrincipal user, Core.Features.Runs.Runs useCase, CreateRunRequest request, CancellationToken ct) =>
            {
                var created = await useCase.CreateAsync(user, slug, request, ct);
                return TypedResults.Created($"/api/v1/projects/{slug}/runs/{created.Id}", created);
            })
            .WithName("CreateRun").WithSummary("Starts a run (contributors). The name defaults to run-<short id>, the start time to now.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        runs.MapGet("/", (string slug, ClaimsPrincipal user, Core.Features.Runs.Runs useCase, string? jobType, string? status, string? createdBy,
                    DateTimeOffset? from, DateTimeOffset? to, string? sort, int? limit, string? continuationToken, CancellationToken ct) =>
                useCase.ListAsync(user, slug, new RunListQuery(jobType, status, createdBy, from, to, sort, limit, continuationToken), ct))
            .WithName("ListRuns")
            .WithSummary("A page of the project's runs (at most 200), newest first; filter by job type, status, creator (id or e-mail) and start time [from, to). Pass continuationToken for the next page.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        runs.MapGet("/{runId}", (string slug, string runId, ClaimsPrincipal user, Core.Features.Runs.Runs useCase, CancellationToken ct) =>
                useCase.GetAsync(user, slug, Core.Features.Runs.Runs.ParseId(runId), ct))
            .WithName("GetRun").WithSummary("A run with its config, summary, creator and duration.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        runs.MapPatch("/{runId}", (string slug, string runId, ClaimsPrincipal user, Core.Features.Runs.Runs useCase, UpdateRunRequest request, CancellationToken ct) =>
                useCase.UpdateAsync(user, slug, Core.Features.Runs.Runs.ParseId(runId), request, ct))
            .WithName("UpdateRun")
            .WithSummary("Changes a running run's config and summary: each top-level key given replaces the stored one, null removes it, others are kept.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        runs.MapPost("/{runId}/finish", (string slug, string runId, ClaimsPrincipal user, Core.Features.Runs.Runs useCase, FinishRunRequest request, CancellationToken ct) =>
                useCase.FinishAsync(user, slug, Core.Features.Runs.Runs.ParseId(runId), request, ct))
            .WithName("FinishRun")
            .WithSummary("Ends a run as finished, failed, crashed or killed. Repeating the same status is a no-op; a different one is 409 run_finished.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        runs.MapPost("/{runId}/metrics", (string slug, string runId, ClaimsPrincipal user, RunMetrics useCase, List<MetricPointRequest?> points, CancellationToken ct) =>
                useCase.LogAsync(user, slug, Core.Features.Runs.Runs.ParseId(runId), points, ct))
            .WithName("LogRunMetrics")
            .WithSummary("Logs a batch of up to 10,000 metric points [{key, step, value, timestamp?}] to a running run; the summary keeps each key's last value.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        runs.MapGet("/{runId}/metrics", (string slug, string runId, ClaimsPrincipal user, RunMetrics useCase, string[]? key, CancellationToken ct) =>
                useCase.HistoryAsync(user, slug, Core.Features.Runs.Runs.ParseId(runId), key, ct))
            .WithName("GetRunMetricHistory").WithSummary("The history of each ?key= (repeatable, at most 50), ordered by step.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        runs.MapGet("/{runId}/metrics/keys", (string slug, string runId, ClaimsPrincipal user, RunMetrics useCase, CancellationToken ct) =>
                useCase.KeysAsync(user, slug, Core.Features.Runs.Runs.ParseId(runId), ct))
            .WithName("ListRunMetricKeys").WithSummary("The metric keys the run has logged.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        runs.MapPost("/{runId}/use", (string slug, string runId, ClaimsPrincipal user, RunLineage useCase, UseVersionRequest request, CancellationToken ct) =>
                useCase.UseAsync(user, slug, Core.Features.Runs.Runs.ParseId(runId), request, ct))
            .WithName("UseVersionInRun").WithSummary("Records that the run used a committed artifact version of the project (idempotent).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        runs.MapGet("/{runId}/lineage", (string slug, string runId, ClaimsPrincipal user, RunLineage useCase, CancellationToken ct) =>
                useCase.GetAsync(user, slug, Core.Features.Runs.Runs.ParseId(runId), ct))
            .WithName("GetRunLineage").WithSummary("The versions the run used (inputs) and produced (outputs).")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return api;
    }
}
