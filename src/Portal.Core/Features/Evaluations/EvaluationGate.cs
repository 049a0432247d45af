using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;

namespace Portal.Core.Features.Evaluations;

/// <summary>
/// The promotion check "the evaluation of this version on the eval set has the metric ≥ threshold and is not worse
/// than the alias's current version's by more than δ". The eval set is named by a spec (<c>golden:production</c>)
/// resolved when the check runs; both versions are read from their newest evaluation on that eval-set version.
/// </summary>
public static class EvaluationGate
{
    public const string CheckName = "evaluation";

    /// <summary>Checks the fields of a policy's gate; null stays null (no gate).</summary>
    public static EvaluationGateModel? Validate(EvaluationGateModel? gate)
    {
        if (gate is null)
            return null;
        var set = gate.EvalSet?.Trim() ?? "";
        var colon = set.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == set.Length - 1 || set.Length > 300)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, $"The evaluation gate's evalSet '{set}' must name an eval set as artifact:alias or artifact:vN, such as golden:production.");
        var metric = gate.Metric?.Trim() ?? "";
        if (metric.Length is 0 or > 128)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, "The evaluation gate needs a metric (a scorer name such as recall@5).");
        if (gate.Threshold is { } t && !double.IsFinite(t))
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, "The evaluation gate's threshold must be a finite number.");
        if (gate.MaxDrop is { } d && (!double.IsFinite(d) || d < 0))
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, "The evaluation gate's maxDrop must be 0 or more.");
        if (gate.Threshold is null && gate.MaxDrop is null)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, "The evaluation gate needs a threshold, a maxDrop, or both.");
        return new EvaluationGateModel(set, metric, gate.Threshold, gate.MaxDrop);
    }

    public static async Task<PromotionCheckResponse> CheckAsync(
        PortalDbContext db, Guid projectId, Guid versionId, Guid? currentVersionId, EvaluationGateModel gate, CancellationToken ct)
    {
        var colon = gate.EvalSet.IndexOf(':', StringComparison.Ordinal);
        var (name, reference) = (gate.EvalSet[..colon], gate.EvalSet[(colon + 1)..]);
        var artifactId = await db.Artifacts.AsNoTracking().Where(a => a.ProjectId == projectId && a.Name == name).Select(a => (Guid?)a.Id).SingleOrDefaultAsync(ct);
        var evalSet = artifactId is { } id ? await VersionQueries.ResolveAsync(db, id, reference, ct) : null;
        if (evalSet is null)
            return new PromotionCheckResponse(CheckName, PromotionCheckStates.Missing, $"'{gate.EvalSet}' names no committed eval-set version.");
        var setName = $"{name}:v{evalSet.Index}";
        var slug = await db.Projects.AsNoTracking().Where(p => p.Id == projectId).Select(p => p.Slug).SingleAsync(ct);

        var candidate = await CompareEvaluations.LatestAsync(db, projectId, versionId, evalSet.Id, gate.Metric, ct);
        if (candidate is null)
        {
            return new PromotionCheckResponse(CheckName, PromotionCheckStates.Missing,
                $"No evaluation of this version on {setName} ({gate.EvalSet}) with {gate.Metric}; log one with `portal eval log`.");
        }
        var link = $"/projects/{slug}/evaluations/{candidate.Id}";
        var parts = new List<string> { $"{gate.Metric} = {F(candidate.Value)} on {setName}" };
        var failed = false;
        if (gate.Threshold is { } threshold)
        {
            var ok = candidate.Value >= threshold;
            failed |= !ok;
            parts.Add(ok ? $"≥ threshold {F(threshold)}" : $"below the threshold {F(threshold)}");
        }
        if (gate.MaxDrop is { } maxDrop && currentVersionId is { } current && current != versionId)
        {
            var baseline = await CompareEvaluations.LatestAsync(db, projectId, current, evalSet.Id, gate.Metric, ct);
            if (baseline is null)
            {
                return new PromotionCheckResponse(CheckName, failed ? PromotionCheckStates.Failed : PromotionCheckStates.Missing,
                    string.Join("; ", parts) + $"; the alias's current version has no evaluation on {setName} to compare with (allowed drop {F(maxDrop)}).", link);
            }
            var delta = candidate.Value - baseline.Value;
            // A small tolerance: a drop of exactly δ computed in floating point passes.
            var ok = delta >= -maxDrop - 1e-12;
            failed |= !ok;
            parts.Add($"current version {F(baseline.Value)} (Δ {(delta >= 0 ? "+" : "")}{F(delta)}, {(ok ? "within" : "beyond")} the allowed drop {F(maxDrop)})");
        }
        return new PromotionCheckResponse(CheckName, failed ? PromotionCheckStates.Failed : PromotionCheckStates.Passed, string.Join("; ", parts) + ".", link);
    }

    private static string F(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}
