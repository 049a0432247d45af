using Portal.Client.Models;

namespace Portal.Core.Features.Validation;

/// <summary>Text-length and label distributions of two versions compared by PSI, with the rule set's thresholds.</summary>
public static class Drift
{
    public const string TextLength = "text_length";
    public const string Labels = "labels";

    public static string Describe(string metric) => metric == TextLength ? "text-length distribution" : "label distribution";

    public static List<DriftRow> Compare(DataProfile from, DataProfile to, ValidationRules rules)
    {
        var rows = new List<DriftRow>();
        if (from.TextCount > 0 && to.TextCount > 0)
        {
            var (labels, e, a) = Psi.TextLengthBuckets(from, to);
            rows.Add(Row(TextLength, to.TextField ?? from.TextField ?? "text", labels, e, a, rules));
        }

        if (from.Labels.Count > 0 && to.Labels.Count > 0)
        {
            var (labels, e, a) = Psi.LabelBuckets(from, to);
            rows.Add(Row(Labels, to.LabelField ?? from.LabelField ?? "label", labels, e, a, rules));
        }

        return rows;
    }

    private static DriftRow Row(string metric, string field, List<string> labels, List<double> expected, List<double> actual, ValidationRules rules)
    {
        var psi = Psi.Compute(expected, actual);
        var status = psi >= rules.DriftFailPsi ? "drift" : psi >= rules.DriftWarnPsi ? "moderate" : "stable";
        var totalE = Math.Max(1, expected.Sum());
        var totalA = Math.Max(1, actual.Sum());
        var buckets = labels.Select((l, i) => new DriftBucket(l, expected[i] / totalE, actual[i] / totalA)).ToList();
        return new DriftRow(metric, field, Math.Round(psi, 4), status, buckets);
    }
}
