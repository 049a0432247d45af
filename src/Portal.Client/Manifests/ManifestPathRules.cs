using System.Globalization;
using System.Text;

namespace Portal.Client.Manifests;

/// <summary>A path rule a manifest path breaks: a stable short name (<c>control_character</c>, <c>backslash</c> …) and
/// a sentence saying where and why.</summary>
public sealed record ManifestPathViolation(string Rule, string Message);

/// <summary>
/// The path rules of a manifest entry, shared by the portal (which rejects a path that breaks one, never normalising
/// it) and its clients (which check a whole tree before sending it, so every bad name is reported at once).
/// </summary>
public static class ManifestPathRules
{
    public const int MaxUtf8Bytes = 1024;

    // Long paths are cut in messages; the portal's error carries the full path in its "path" extension.
    private const int MaxDisplayChars = 200;

    /// <summary>The path as a quoted string with backslashes, quotes and control characters escaped, so that what is
    /// wrong with it is visible in a message.</summary>
    public static string Display(string? path)
    {
        if (path is null)
            return "(null)";
        var builder = new StringBuilder(Math.Min(path.Length, MaxDisplayChars) + 8);
        builder.Append('"');
        for (var i = 0; i < path.Length && i < MaxDisplayChars; i++)
        {
            var c = path[i];
            switch (c)
            {
                case '"':
                    builder.Append("\\\"");
                    break;
                case '\\':
                    builder.Append("\\\\");
                    break;
                default:
                    var unpairedSurrogate = char.IsSurrogate(c)
                        && !(char.IsHighSurrogate(c) && i + 1 < path.Length && char.IsLowSurrogate(path[i + 1]))
                        && !(char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(path[i - 1]));
                    if (IsControl(c) || unpairedSurrogate || c is '\u2028' or '\u2029')
                        builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
                    else
                        builder.Append(c);
                    break;
            }
        }
        builder.Append('"');
        if (path.Length > MaxDisplayChars)
            builder.Append(CultureInfo.InvariantCulture, $"… ({path.Length:N0} characters)");
        return builder.ToString();
    }

    /// <summary>The first rule <paramref name="path"/> breaks, or null when it satisfies them all.</summary>
    public static ManifestPathViolation? FindViolation(string? path)
    {
        if (string.IsNullOrEmpty(path))
            return new("empty", "a path must not be empty");

        // One pass for the character rules, which are the ones whose message must say where the problem is.
        for (var i = 0; i < path.Length; i++)
        {
            var c = path[i];
            if (IsControl(c))
                return new("control_character", $"it contains the control character U+{(int)c:X4} at position {i}");
            if (c == '\\')
                return new("backslash", $"it contains '\\' at position {i}; separate segments with '/'");
            if (IsBidiControl(c))
            {
                return new("bidi_control",
                    $"it contains the bidirectional control character U+{(int)c:X4} at position {i}, which makes a name display differently from what it is");
            }
            if (IsZeroWidth(c))
            {
                return new("zero_width",
                    $"it contains the invisible character U+{(int)c:X4} at position {i}, so two names that look the same would be different files");
            }
            if (char.IsHighSurrogate(c) && i + 1 < path.Length && char.IsLowSurrogate(path[i + 1]))
            {
                var codePoint = char.ConvertToUtf32(c, path[i + 1]);
                if (IsNoncharacter(codePoint))
                    return Noncharacter(codePoint, i);
                i++;
                continue;
            }
            if (char.IsSurrogate(c))
                return new("invalid_unicode", $"it contains an unpaired UTF-16 surrogate U+{(int)c:X4} at position {i}");
            if (IsNoncharacter(c))
                return Noncharacter(c, i);
        }

        if (path[0] == '/')
            return new("absolute", "it must be relative, without a leading '/'");

        var segmentStart = 0;
        for (var i = 0; i <= path.Length; i++)
        {
            if (i < path.Length && path[i] != '/')
                continue;
            var segment = path.AsSpan(segmentStart, i - segmentStart);
            if (segment.IsEmpty)
            {
                return i == path.Length
                    ? new("empty_segment", "it must not end with '/'")
                    : new("empty_segment", $"it contains an empty segment ('//') at position {i - 1}");
            }
            if (segment is "." or "..")
                return new("dot_segment", $"it contains a '{segment}' segment");
            segmentStart = i + 1;
        }

        bool isNfc;
        try
        {
            isNfc = path.IsNormalized(NormalizationForm.FormC);
        }
        catch (ArgumentException)
        {
            // Every code point the normaliser refuses should already be caught above; this keeps a gap from
            // becoming a 500.
            return new("invalid_unicode", "it contains code points that cannot be normalised");
        }
        if (!isNfc)
            return new("not_nfc", "it is not in Unicode normalisation form C (NFC); normalise it before uploading");

        var bytes = Encoding.UTF8.GetByteCount(path);
        if (bytes > MaxUtf8Bytes)
            return new("too_long", $"it is {bytes:N0} bytes long in UTF-8, more than the limit of {MaxUtf8Bytes:N0}");

        return null;
    }

    // Noncharacters (U+FDD0..U+FDEF and U+xxFFFE/U+xxFFFF in every plane) are reserved for process-internal use,
    // not for interchange; the normaliser even throws on U+FFFE.
    private static bool IsNoncharacter(int codePoint) => codePoint is >= 0xFDD0 and <= 0xFDEF || (codePoint & 0xFFFE) == 0xFFFE;

    private static ManifestPathViolation Noncharacter(int codePoint, int position) =>
        new("invalid_unicode", $"it contains the Unicode noncharacter U+{codePoint:X4} at position {position}");

    // Explicit directional marks, embeddings, overrides and isolates (the "Trojan Source" characters).
    private static bool IsBidiControl(char c) => c is '\u061C' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');

    // Characters that draw nothing: zero-width space, non-joiner and joiner, word joiner and invisible operators,
    // the byte-order mark and the Mongolian vowel separator.
    private static bool IsZeroWidth(char c) => c is '\u200B' or '\u200C' or '\u200D' or (>= '\u2060' and <= '\u2064') or '\uFEFF' or '\u180E';

    // C0 controls, DEL and C1 controls; none of them belong in a file name and several break the canonical line
    // (tab and newline are its separators).
    private static bool IsControl(char c) => c < 0x20 || c is >= '\u007F' and <= '\u009F';
}
