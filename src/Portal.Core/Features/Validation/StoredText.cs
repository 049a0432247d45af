namespace Portal.Core.Features.Validation;

/// <summary>
/// Text from the data (labels, field names, licence values) on its way into a database column. PostgreSQL refuses a
/// NUL character and text that is not valid UTF-8 — a lone surrogate cannot be encoded — so one such character in a
/// file would otherwise fail the whole write of a validation's results.
/// </summary>
public static class StoredText
{
    /// <summary>Lone surrogates become U+FFFD (as System.Text.Json writes them), pairs are kept.</summary>
    public static string ReplaceBrokenSurrogates(string text)
    {
        var i = IndexOfUnsafe(text, nulToo: false);
        return i < 0 ? text : Replace(text, i, nulToo: false);
    }

    /// <summary>
    /// At most <paramref name="max"/> characters (cut text ends with "…", never inside a surrogate pair), with NULs and
    /// lone surrogates replaced by U+FFFD.
    /// </summary>
    public static string ForColumn(string text, int max)
    {
        var i = IndexOfUnsafe(text, nulToo: true);
        var clean = i < 0 ? text : Replace(text, i, nulToo: true);
        if (clean.Length <= max)
            return clean;
        var cut = max - 1;
        if (cut > 0 && char.IsHighSurrogate(clean[cut - 1]))
            cut--;
        return clean[..cut] + "…";
    }

    private static int IndexOfUnsafe(string text, bool nulToo)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (nulToo && c == '\0')
                return i;
            if (!char.IsSurrogate(c))
                continue;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }

            return i;
        }

        return -1;
    }

    private static string Replace(string text, int from, bool nulToo)
    {
        var chars = text.ToCharArray();
        for (var i = from; i < chars.Length; i++)
        {
            var c = chars[i];
            if (nulToo && c == '\0')
            {
                chars[i] = '\uFFFD';
            }
            else if (char.IsHighSurrogate(c) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                chars[i] = '\uFFFD';
            }
        }

        return new string(chars);
    }
}
