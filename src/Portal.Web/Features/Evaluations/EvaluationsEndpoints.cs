using System.Security.Claims;
using Portal.Client.Models;
using Portal.Core.Features.Evaluations;
using Portal.Web.Features.Artifacts;

namespace Portal.Web.Features.Evaluations;

public static class EvaluationsEndpoints
{
    /// <summary>Largest evaluation body accepted (rows with outputs of 2,000,000 examples stay well below).</summary>
    private const long MaxBodyBytes = 4L * 1024 * 1024 * 1024;

    public static RouteGroupBuilder MapEvaluationsApi(this RouteGroupBuilder api)
    {
        var project = api.MapGroup("/projects/{slug}").WithTags("Evaluations");
        var evaluations = project.MapGroup("/evaluations");

        evaluations.MapPost("/", async (string slug, HttpContext http, ClaimsPrincipal user, LogEvaluation useCase, CancellationToken ct) =>
            {
                BlobsEndpoints.AllowBodyUpTo(http, MaxBodyBytes);
                var created = await useCase.FromNdjsonAsync(user, slug, http.Request.Body, ct);
                return TypedResults.Created($"/api/v1/projects/{slug}/evaluations/{created.Id}", created);
            })
            .WithName("LogEvaluation")
            .WithSummary("Logs a finished evaluation from an NDJSON stream: a header line, then one row per example (Contributor).")
            .WithDescription(
                "The first line is the header `{\"subject\":\"index:v3\",\"evalSet\":\"golden:production\",\"scorers\":[\"recall@5\"],\"name\":\"nightly\",\"runId\":null}`; " +
                "`subject` and `evalSet` name committed versions (`artifact:vN`, `artifact:alias`, a manifest digest or an id) and the eval set is pinned to the version its spec names now. " +
                "Every later line is a row `{\"id\":\"q-17\",\"scores\":{\"recall@5\":1},\"latencyMs\":120,\"tokens\":380,\"output\":\"…\"}` (`id` and `scores` required, example ids unique). " +
                "A bad line is refused with 400 `evaluation_malformed` naming it (`line` extension) and nothing is stored. The server sorts the rows by example id, stores them as one content-addressed blob and computes the aggregates; the evaluation is immutable.")
            .Accepts<EvaluationHeader>("application/x-ndjson", "application/ndjson")
            .Produces<EvaluationResponse>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        evaluations.MapGet("/", (string slug, string? subject, string? evalSet, int? limit, ClaimsPrincipal user, EvaluationQueries useCase, CancellationToken ct) =>
                useCase.ListAsync(user, slug, subject, evalSet, limit ?? 100, ct))
            .WithName("ListEvaluations")
            .WithSummary("The project's evaluations, newest first; `subject` and `evalSet` filter by artifact name.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        evaluations.MapGet("/{id:guid}", (string slug, Guid id, ClaimsPrincipal user, EvaluationQueries useCase, CancellationToken ct) => useCase.GetAsync(user, slug, id, ct))
            .WithName("GetEvaluation").WithSummary("One evaluation with its pinned versions and the server's aggregates.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        evaluations.MapGet("/{id:guid}/rows", async (string slug, Guid id, ClaimsPrincipal user, EvaluationQueries useCase, CancellationToken ct) =>
                Results.Stream(await useCase.OpenRowsAsync(user, slug, id, ct), "application/x-ndjson"))
            .WithName("GetEvaluationRows").WithSummary("The evaluation's rows as stored: canonical NDJSON sorted by example id.")
            .Produces(StatusCodes.Status200OK, contentType: "application/x-ndjson")
            .ProducesProblem(StatusCodes.Status404NotFound);

        evaluations.MapGet("/compare", (string slug, Guid before, Guid after, string? metric, int? limit, ClaimsPrincipal user, CompareEvaluations useCase, CancellationToken ct) =>
                useCase.ExamplesAsync(user, slug, before, after, metric, limit ?? 50, ct))
            .WithName("CompareEvaluationExamples")
            .WithSummary("Per example: which examples got worse or better from `before` to `after` (same eval-set version) on `metric`.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        evaluations.MapGet("/attribution", (string slug, Guid before, Guid after, string? metric, ClaimsPrincipal user, CompareEvaluations useCase, CancellationToken ct) =>
                useCase.AttributeAsync(user, slug, before, after, metric, ct))
            .WithName("AttributeEvaluationChange")
            .WithSummary("Splits the change of `metric` between two evaluations into the subject's part and the data's part, naming the evaluations missing for it.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        project.MapGet("/artifacts/{name}/evaluation-matrix", (string slug, string name, string? metric, ClaimsPrincipal user, EvaluationMatrix useCase, CancellationToken ct) =>
                useCase.GetAsync(user, slug, name, metric, ct))
            .WithName("GetEvaluationMatrix")
            .WithSummary("The artifact's versions × the eval-set versions they were evaluated on, for one metric, with deltas from the previous version.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return api;
    }
}
