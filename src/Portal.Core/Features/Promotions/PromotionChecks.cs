using Microsoft.EntityFrameworkCore;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Checks;

namespace Portal.Core.Features.Promotions;

/// <summary>
/// The conditions of a policy a request must meet besides its approvals: the source alias, validation, and a compare
/// report against the alias's current version. Results of background work are read from
/// <see cref="IVersionCheckStatusSource"/>; without one, a required check stays missing and the request cannot apply.
/// </summary>
public sealed class PromotionChecks(IEnumerable<IVersionCheckStatusSource> sources)
{
    public const string SourceAlias = "source_alias";
    public const string Validation = "validation";
    public const string CompareReport = "compare_report";
    public const string Evaluation = "evaluation";

    private readonly IVersionCheckStatusSource? _source = sources.LastOrDefault();

    /// <summary>The policy's checks for moving the alias from <paramref name="currentVersionId"/> to the request's version.</summary>
    public async Task<IReadOnlyList<PromotionCheckResponse>> EvaluateAsync(
        PortalDbContext db, PromotionPolicy policy, PromotionRequest request, Guid? currentVersionId, CancellationToken ct)
    {
        var results = new List<PromotionCheckResponse>();
        if (policy.RequiredSourceAlias is { } source)
        {
            var wasThere = await WasAtAliasAsync(db, request.ArtifactId, source, request.VersionId, ct);
            // A rollback goes back to a version that has already served at this alias; that is the source it needs.
            var servedHere = request.Kind == PromotionKind.Rollback && await WasAtAliasAsync(db, request.ArtifactId, request.AliasName, request.VersionId, ct);
            results.Add(wasThere || servedHere
                ? new PromotionCheckResponse(SourceAlias, PromotionCheckStates.Passed, servedHere && !wasThere
                    ? $"The version was at '{request.AliasName}' before."
                    : $"The version was at '{source}' before.")
                : new PromotionCheckResponse(SourceAlias, PromotionCheckStates.Failed, $"The version has never been at '{source}'; it must be there before it can become '{request.AliasName}'."));
        }
        if (policy.RequireValidation)
        {
            var status = _source is null ? null : await _source.GetValidationAsync(request.VersionId, ct);
            results.Add(ToCheck(Validation, status, "No validation result for this version."));
        }
        if (policy.RequireCompareReport)
        {
            if (currentVersionId is not { } current)
            {
                results.Add(new PromotionCheckResponse(CompareReport, PromotionCheckStates.Passed, $"'{request.AliasName}' points at no version yet: nothing to compare with."));
            }
            else
            {
                var status = _source is null ? null : await _source.GetCompareReportAsync(current, request.VersionId, ct);
                results.Add(ToCheck(CompareReport, status, "No compare report against the alias's current version."));
            }
        }
        if (policy.EvaluationSet is { } evalSet && policy.EvaluationMetric is { } metric)
        {
            results.Add(await Evaluations.EvaluationGate.CheckAsync(db, request.ProjectId, request.VersionId, currentVersionId,
                new EvaluationGateModel(evalSet, metric, policy.EvaluationThreshold, policy.EvaluationMaxDrop), ct));
        }
        return results;
    }

    public static bool AllPassed(IEnumerable<PromotionCheckResponse> checks) => checks.All(c => c.State == PromotionCheckStates.Passed);

    internal static Task<bool> WasAtAliasAsync(PortalDbContext db, Guid artifactId, string alias, Guid versionId, CancellationToken ct) =>
        db.AliasEvents.AsNoTracking().AnyAsync(e => e.ArtifactId == artifactId && e.AliasName == alias && e.ToVersionId == versionId, ct);

    private static PromotionCheckResponse ToCheck(string name, VersionCheckStatus? status, string missing) =>
        status is null
            ? new PromotionCheckResponse(name, PromotionCheckStates.Missing, missing)
            : new PromotionCheckResponse(name, status.State switch
            {
                VersionCheckState.Passed => PromotionCheckStates.Passed,
                VersionCheckState.Failed => PromotionCheckStates.Failed,
                VersionCheckState.Queued or VersionCheckState.Running => PromotionCheckStates.Pending,
                _ => PromotionCheckStates.Missing,
            }, status.Summary, status.Link);
}
