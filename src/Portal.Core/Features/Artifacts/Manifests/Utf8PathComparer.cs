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

    public static int Compare(ReadOnlySpan<char> x, ReadOnlySpan<char> y)
    {
        var common = x.CommonPrefixLength(y);
        if (common == x.Length || common == y.Length)
            return x.Length - y.Length;
        int a = x[common];
        int b = y[common];
        // Only when both code units are at or above U+D800 can the two orders disagree. Moving surrogates
        // (D800..DFFF) above E000..FFFF restores code-point order; the first differing unit decides, because a
        // difference inside a surrogate pair compares the same way in both orders.
        if (a >= 0xD800 && b >= 0xD800)
        {
            a = a >= 0xE000 ? a - 0x800 : a + 0x2000;
            b = b >= 0xE000 ? b - 0x800 : b + 0x2000;
        }
        return a - b;
    }
}
