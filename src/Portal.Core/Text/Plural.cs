using System.Globalization;

namespace Portal.Core.Text;

/// <summary>Counts with their noun in the right number: "1 protected alias move", "2 protected alias moves".</summary>
public static class Plural
{
    /// <summary><paramref name="count"/> (with thousands separators) and <paramref name="singular"/> or <paramref name="plural"/>.</summary>
    public static string Count(long count, string singular, string plural) =>
        $"{count.ToString("N0", CultureInfo.InvariantCulture)} {(count == 1 ? singular : plural)}";

    /// <summary>Like <see cref="Count(long, string, string)"/> for nouns whose plural only adds an s.</summary>
    public static string Count(long count, string singular) => Count(count, singular, singular + "s");
}
