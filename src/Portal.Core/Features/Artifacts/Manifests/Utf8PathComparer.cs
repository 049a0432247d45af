namespace Portal.Core.Features.Artifacts.Manifests;

/// <summary>
/// Orders strings by their UTF-8 bytes, which is Unicode code-point order — the order of manifest entries. It
/// differs from <see cref="string.CompareOrdinal(string, string)"/> (UTF-16 code-unit order) only where a
/// supplementary character (a surrogate pair, e.g. an emoji) meets a character in U+E000..U+FFFF: UTF-16 puts the
/// surrogate first, UTF-8 and code-point order put it last. Databases, other languages and the canonical lines all
/// use byte order, so this is the order that is stable everywhere.
/// </summary>
public sealed class Utf8PathComparer : IComparer<string>
{
    public static readonly Utf8PathComparer Instance = new();

    private Utf8PathComparer()
    {
    }

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
            return 0;
        if (x is null)
            return -1;
        if (y is null)
            return 1;
        return Compare(x.AsSpan(), y.AsSpan());
    }

    public static int Compare(ReadOnlySpan<char> x, ReadOnlySpan<char> y) => Portal.Client.Manifests.ManifestAlgorithm.ComparePaths(x, y);
}
