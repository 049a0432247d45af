using Portal.Core.Features.Artifacts;
using System.Security.Claims;
using System.Text;
using Portal.Client.Models;
using Portal.Core.Features.Compare;
using Portal.Core.Features.Validation;

namespace Portal.Web.Features.Validation;

/// <summary>Validation rule sets and results, and compare reports (stored, downloadable, and live row diffs).</summary>
public static class ValidationEndpoints
{
    public static RouteGroupBuilder MapValidationApi(this RouteGroupBuilder api)
    {
        var project = api.MapGroup("/projects/{slug}").WithTags("Validation and compare reports");

        project.MapGet("/validation-rules", (string slug, ClaimsPrincipal user, ValidationRuleSets rules, CancellationToken ct) => rules.ListAsync(user, slug, ct))
            .WithName("ListValidationRuleSets").WithSummary("The project's rule sets: its default (*) and one per artifact type that has its own.")
            .Produces<IReadOnlyList<ValidationRuleSetResponse>>().ProducesProblem(StatusCodes.Status404NotFound);

        project.MapGet("/validation-rules/{type}", (string slug, string type, ClaimsPrincipal user, ValidationRuleSets rules, CancellationToken ct) => rules.GetAsync(user, slug, type, ct))
            .WithName("GetValidationRuleSet").WithSummary("The rules that apply to an artifact type (its own, the project's default, or the built-in one).")
            .Produces<ValidationRuleSetResponse>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        project.MapPut("/validation-rules/{type}", (string slug, string type, ValidationRules body, ClaimsPrincipal user, ValidationRuleSets rules, CancellationToken ct) =>
                rules.PutAsync(user, slug, type, body, ct))
            .WithName("PutValidationRuleSet").WithSummary("Sets the rules of an artifact type (* for the project's default). Project admins only.")
            .Produces<ValidationRuleSetResponse>().ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        project.MapDelete("/validation-rules/{type}", async (string slug, string type, ClaimsPrincipal user, ValidationRuleSets rules, CancellationToken ct) =>
            {
                await rules.DeleteAsync(user, slug, type, ct);
                return TypedResults.NoContent();
            })
            .WithName("DeleteValidationRuleSet").WithSummary("Removes a type's own rules, so the project's default applies. Project admins only.")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        project.MapGet("/versions/{versionId:guid}/validation", (string slug, Guid versionId, ClaimsPrincipal user, VersionValidations validations, CancellationToken ct) =>
                validations.GetAsync(user, slug, versionId, ct))
            .WithName("GetVersionValidation").WithSummary("The version's validation: job state and progress, then the findings with redacted locations.")
            .Produces<ValidationResponse>().ProducesProblem(StatusCodes.Status404NotFound);

        project.MapPost("/versions/{versionId:guid}/validation", async (string slug, Guid versionId, ClaimsPrincipal user, VersionValidations validations, CancellationToken ct) =>
                TypedResults.Accepted($"/api/v1/projects/{slug}/versions/{versionId}/validation", await validations.RerunAsync(user, slug, versionId, ct)))
            .WithName("RerunVersionValidation").WithSummary("Validates the version again with the current rules. Contributors.")
            .Produces<ValidationResponse>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        project.MapPost("/compare-reports", async (string slug, CompareReportRequest request, ClaimsPrincipal user, CompareReports reports, CancellationToken ct) =>
            {
                var report = await reports.RequestAsync(user, slug, request, ct);
                return TypedResults.Accepted($"/api/v1/projects/{slug}/compare-reports/{report.Report.Id}", report);
            })
            .WithName("RequestCompareReport").WithSummary("Asks for a compare report between two committed versions (an existing one is returned). Contributors.")
            .Produces<CompareReportResponse>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        project.MapGet("/compare-reports", async (string slug, string from, string to, string? keyColumn, ClaimsPrincipal user, VersionSpecs specs, CompareReports reports, CancellationToken ct) =>
                await reports.FindAsync(user, slug, await specs.ResolveAsync(user, slug, from, ct), await specs.ResolveAsync(user, slug, to, ct), keyColumn, ct))
            .WithName("FindCompareReport").WithSummary("The compare report of two versions (the automatic one unless keyColumn is given).")
            .Produces<CompareReportResponse>().ProducesProblem(StatusCodes.Status404NotFound);

        project.MapGet("/compare-reports/{reportId:guid}", (string slug, Guid reportId, ClaimsPrincipal user, CompareReports reports, CancellationToken ct) =>
                reports.GetAsync(user, slug, reportId, ct))
            .WithName("GetCompareReport").WithSummary("One compare report by id: its state and, once finished, its findings.").Produces<CompareReportResponse>().ProducesProblem(StatusCodes.Status404NotFound);

        project.MapGet("/compare-reports/{reportId:guid}/download", async (string slug, Guid reportId, string? format, ClaimsPrincipal user, CompareReports reports, CancellationToken ct) =>
            {
                var (content, contentType, fileName) = await reports.DownloadAsync(user, slug, reportId, format ?? "html", ct);
                return Results.File(Encoding.UTF8.GetBytes(content), contentType, fileName);
            })
            .WithName("DownloadCompareReport").WithSummary("A finished report as html, md or csv (format=…), sent as an attachment.")
            .Produces(StatusCodes.Status200OK, responseType: null, contentType: "text/html", "text/markdown", "text/csv").ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        project.MapGet("/row-diff", async (string slug, string from, string to, string path, string? oldPath, string? keyColumn, int? samples, ClaimsPrincipal user, VersionSpecs specs, CompareReports reports, CancellationToken ct) =>
                await reports.DiffRowsAsync(user, slug, await specs.ResolveAsync(user, slug, from, ct), await specs.ResolveAsync(user, slug, to, ct), path, oldPath, keyColumn, samples ?? 100, ct))
            .WithName("DiffFileRows").WithSummary("Row-level changes of one CSV/TSV/JSONL file between two versions, computed now (keyed by keyColumn, an id-like column, or content).")
            .Produces<RowDiffResponse>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }
}
