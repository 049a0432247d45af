using System.Globalization;

namespace Portal.Core.Features.Artifacts;

/// <summary>A value of a column and how many rows hold it.</summary>
public sealed record TopValue(string Value, int Count);

/// <summary>
/// Basic statistics of one column over the rows read: how many hold a value and how many are empty, min/max (numeric
/// for numbers, ordinal for text, so ISO dates order correctly), the mean of numbers, distinct values (counted up to
/// <see cref="ColumnStatistics.MaxDistinct"/>) and the most frequent values.
/// </summary>
public sealed record ColumnStats(
    string Name,
    string Type,
    int Values,
    int Nulls,
    string? Min,
    string? Max,
    double? Mean,
    int Distinct,
    bool DistinctCapped,
    IReadOnlyList<TopValue> Top);

public static class ColumnStatistics
{
    public const int MaxDistinct = 10_000;
    public const int TopCount = 5;

    /// <summary>
    /// The statistics of <paramref name="values"/> (null or empty = no value). <paramref name="type"/> is the declared
    /// type when the format has one (Parquet); otherwise it is inferred from the values.
    /// </summary>
    public static ColumnStats Compute(string name, IReadOnlyList<string?> values, string? type = null)
    {
        type ??= InferType(values);
        var numeric = type is "integer" or "number" || IsNumericType(type);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var capped = false;
        int present = 0, nulls = 0, numbers = 0;
        double sum = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
        string? minText = null, maxText = null;
        foreach (var value in values)
        {
            if (string.IsNullOrEmpty(value))
            {
                nulls++;
                continue;
            }

            present++;
            if (counts.TryGetValue(value, out var seen))
                counts[value] = seen + 1;
            else if (counts.Count < MaxDistinct)
                counts[value] = 1;
            else
                capped = true;

            if (numeric && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
            {
                numbers++;
                sum += number;
                min = Math.Min(min, number);
                max = Math.Max(max, number);
            }
            else if (!numeric)
            {
                if (minText is null || string.CompareOrdinal(value, minText) < 0)
                    minText = value;
                if (maxText is null || string.CompareOrdinal(value, maxText) > 0)
                    maxText = value;
            }
        }

        var top = counts.Where(c => c.Value > 1 || counts.Count <= TopCount)
            .OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
            .Take(TopCount)
            .Select(c => new TopValue(Shorten(c.Key) ?? "", c.Value))
            .ToList();
        return numbers > 0
            ? new ColumnStats(name, type, present, nulls, Format(min), Format(max), sum / numbers, counts.Count, capped, top)
            : new ColumnStats(name, type, present, nulls, Shorten(minText), Shorten(maxText), null, counts.Count, capped, top);
    }

    /// <summary>integer, number, bool, text, or empty when no row has a value.</summary>
    public static string InferType(IEnumerable<string?> values)
    {
        var seen = false;
        var integer = true;
        var boolean = true;
        var number = true;
        foreach (var value in values)
        {
            if (string.IsNullOrEmpty(value))
                continue;
            seen = true;
            boolean &= value is "true" or "false" or "True" or "False";
            if (number && !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                number = false;
            integer &= number && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _);
            if (!number && !boolean)
                return "text";
        }

        return !seen ? "empty" : boolean ? "bool" : integer ? "integer" : number ? "number" : "text";
    }

    private static bool IsNumericType(string type) =>
        type is "int8" or "int16" or "int32" or "int64" or "uint8" or "uint16" or "uint32" or "uint64" or "float" or "double" or "decimal";

    private static string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    private static string? Shorten(string? value) => value is { Length: > 80 } ? value[..77] + "…" : value;
}
