using System.Globalization;
using System.Text.Json;

namespace Portal.Core.Features.Validation;

/// <summary>
/// The distributions drift is measured on, gathered while the rows stream by: text length in fixed logarithmic
/// buckets (so profiles of different versions line up without a second pass) and label frequencies.
/// </summary>
public sealed class DataProfile
{
    /// <summary>Labels past this many distinct values are counted together as <see cref="OtherLabel"/>.</summary>
    public const int MaxLabels = 200;
    public const string OtherLabel = "(other)";

    /// <summary>Four buckets per doubling: fine enough to see a 20 % shift, coarse enough for stable estimates.</summary>
    public const int BucketsPerDoubling = 4;
    public const int BucketCount = 25 * BucketsPerDoubling;

    public long Rows { get; set; }

    public string? TextField { get; set; }

    public string? LabelField { get; set; }

    public long TextCount { get; set; }

    public double TextLengthSum { get; set; }

    public long[] TextLengths { get; set; } = new long[BucketCount];

    public Dictionary<string, long> Labels { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// A stored profile, repaired where it does not fit this code (a bucket array of another length, missing parts), or
    /// null when there is none or it cannot be read: drift then measures against a freshly built profile instead.
    /// </summary>
    public static DataProfile? FromJson(string? json)
    {
        if (string.IsNullOrEmpty(json))
            return null;
        DataProfile? profile;
        try
        {
            profile = JsonSerializer.Deserialize<DataProfile>(json, JsonOptions);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NotSupportedException or ArgumentException)
        {
            return null;
        }

        if (profile is null)
            return null;
        if (profile.TextLengths is not { Length: BucketCount })
        {
            var buckets = new long[BucketCount];
            (profile.TextLengths ?? []).AsSpan(0, Math.Min(BucketCount, profile.TextLengths?.Length ?? 0)).CopyTo(buckets);
            profile.TextLengths = buckets;
        }

        profile.Labels = profile.Labels is null ? new(StringComparer.Ordinal) : new(profile.Labels.Where(l => l.Key is not null), StringComparer.Ordinal);
        return profile;
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    public static int BucketOf(int length) =>
        length <= 0 ? 0 : Math.Min(BucketCount - 1, 1 + (int)(Math.Log2(length) * BucketsPerDoubling));

    public static string BucketLabel(int bucket)
    {
        if (bucket == 0)
            return "0";
        var low = Math.Ceiling(Math.Pow(2, (bucket - 1) / (double)BucketsPerDoubling));
        var high = Math.Ceiling(Math.Pow(2, bucket / (double)BucketsPerDoubling)) - 1;
        return high <= low ? low.ToString(CultureInfo.InvariantCulture) : $"{low.ToString(CultureInfo.InvariantCulture)}–{high.ToString(CultureInfo.InvariantCulture)}";
    }

    public void AddText(int length)
    {
        TextCount++;
        TextLengthSum += length;
        TextLengths[BucketOf(length)]++;
    }

    /// <summary>Labels longer than this are cut (on a character boundary).</summary>
    public const int MaxLabelLength = 100;

    /// <summary>
    /// The label a value counts under: at most <see cref="MaxLabelLength"/> characters, never ending inside a surrogate
    /// pair, broken UTF-16 replaced by U+FFFD — as the stored profile's JSON will hold it, so versions compare equal.
    /// </summary>
    public static string LabelOf(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return "";
        var label = value.Length <= MaxLabelLength ? value : value[..(char.IsHighSurrogate(value[MaxLabelLength - 1]) ? MaxLabelLength - 1 : MaxLabelLength)];
        return StoredText.ReplaceBrokenSurrogates(label);
    }

    public void AddLabel(string label)
    {
        if (Labels.TryGetValue(label, out var n))
            Labels[label] = n + 1;
        else if (Labels.Count < MaxLabels)
            Labels[label] = 1;
        else
            Labels[OtherLabel] = Labels.GetValueOrDefault(OtherLabel) + 1;
    }

    public void Merge(DataProfile other)
    {
        Rows += other.Rows;
        TextCount += other.TextCount;
        TextLengthSum += other.TextLengthSum;
        for (var i = 0; i < BucketCount; i++)
            TextLengths[i] += other.TextLengths[i];
        foreach (var (label, count) in other.Labels)
        {
            var key = Labels.ContainsKey(label) || Labels.Count < MaxLabels ? label : OtherLabel;
            Labels[key] = Labels.GetValueOrDefault(key) + count;
        }

        TextField ??= other.TextField;
        LabelField ??= other.LabelField;
    }

    public double MeanTextLength => TextCount == 0 ? 0 : TextLengthSum / TextCount;
}

/// <summary>The population stability index: Σ (actual − expected) · ln(actual / expected) over shared buckets.</summary>
public static class Psi
{
    /// <summary>Share given to a bucket one side never saw, so the logarithm stays finite.</summary>
    private const double Floor = 1e-4;

    public static double Compute(IReadOnlyList<double> expected, IReadOnlyList<double> actual)
    {
        var e = Normalise(expected);
        var a = Normalise(actual);
        var psi = 0.0;
        for (var i = 0; i < e.Length; i++)
        {
            if (e[i] <= Floor && a[i] <= Floor)
                continue;
            var ei = Math.Max(e[i], Floor);
            var ai = Math.Max(a[i], Floor);
            psi += (ai - ei) * Math.Log(ai / ei);
        }

        return psi;
    }

    private static double[] Normalise(IReadOnlyList<double> counts)
    {
        var total = counts.Sum();
        return counts.Select(c => total == 0 ? 0 : c / total).ToArray();
    }

    /// <summary>
    /// Text-length buckets merged until each holds at least 1 % of the expected rows: sparse tail buckets would
    /// otherwise let sampling noise look like drift.
    /// </summary>
    public static (List<string> Labels, List<double> Expected, List<double> Actual) TextLengthBuckets(DataProfile expected, DataProfile actual)
    {
        var labels = new List<string>();
        var e = new List<double>();
        var a = new List<double>();
        var minimum = Math.Max(1, expected.TextCount / 100.0);
        double accE = 0, accA = 0;
        var first = -1;
        for (var i = 0; i < DataProfile.BucketCount; i++)
        {
            if (expected.TextLengths[i] == 0 && actual.TextLengths[i] == 0 && first < 0)
                continue;
            if (first < 0)
                first = i;
            accE += expected.TextLengths[i];
            accA += actual.TextLengths[i];
            if (accE >= minimum)
            {
                labels.Add(Range(first, i));
                e.Add(accE);
                a.Add(accA);
                accE = accA = 0;
                first = -1;
            }
        }

        if (first >= 0)
        {
            if (e.Count > 0)
            {
                e[^1] += accE;
                a[^1] += accA;
                labels[^1] = labels[^1].Split('–')[0] + "+";
            }
            else
            {
                labels.Add(Range(first, DataProfile.BucketCount - 1));
                e.Add(accE);
                a.Add(accA);
            }
        }

        return (labels, e, a);
    }

    public static (List<string> Labels, List<double> Expected, List<double> Actual) LabelBuckets(DataProfile expected, DataProfile actual)
    {
        var labels = expected.Labels.Keys.Union(actual.Labels.Keys, StringComparer.Ordinal).OrderBy(l => l, StringComparer.Ordinal).ToList();
        return (labels, labels.Select(l => (double)expected.Labels.GetValueOrDefault(l)).ToList(), labels.Select(l => (double)actual.Labels.GetValueOrDefault(l)).ToList());
    }

    private static string Range(int from, int to)
    {
        var low = DataProfile.BucketLabel(from).Split('–')[0];
        var high = DataProfile.BucketLabel(to).Split('–')[^1];
        return low == high ? low : $"{low}–{high}";
    }
}
