using Portal.Client.Models;

namespace Portal.Core.Features.Evaluations;

/// <summary>What the server computes from an evaluation's rows: per scorer mean, count, min and max; latency percentiles; tokens.</summary>
public static class EvaluationAggregates
{
    public static IReadOnlyList<EvaluationScoreSummary> Compute(
        IReadOnlyList<EvaluationExample> rows, IReadOnlyList<string> scorers, out double? latencyP50, out double? latencyP95, out long totalTokens)
    {
        var count = new long[scorers.Count];
        var sum = new double[scorers.Count];
        var min = new double[scorers.Count];
        var max = new double[scorers.Count];
        Array.Fill(min, double.PositiveInfinity);
        Array.Fill(max, double.NegativeInfinity);
        var latencies = new List<double>();
        totalTokens = 0;
        foreach (var row in rows)
        {
            for (var i = 0; i < scorers.Count; i++)
            {
                var value = row.Scores[i];
                if (double.IsNaN(value))
                    continue;
                count[i]++;
                sum[i] += value;
                min[i] = Math.Min(min[i], value);
                max[i] = Math.Max(max[i], value);
            }
            if (row.LatencyMs is { } latency)
                latencies.Add(latency);
            if (row.Tokens is { } tokens)
                totalTokens = checked(totalTokens + tokens);
        }
        latencies.Sort();
        latencyP50 = Percentile(latencies, 0.50);
        latencyP95 = Percentile(latencies, 0.95);
        return scorers.Select((s, i) => count[i] == 0
                ? new EvaluationScoreSummary(s, 0, null, null, null)
                : new EvaluationScoreSummary(s, count[i], sum[i] / count[i], min[i], max[i]))
            .ToList();
    }

    /// <summary>Nearest-rank percentile of sorted values; null when there are none.</summary>
    public static double? Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0)
            return null;
        var rank = (int)Math.Ceiling(p * sorted.Count);
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1];
    }
}
