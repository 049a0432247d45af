using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace Portal.Core.Features.Validation;

public enum PiiKind
{
    Email,
    Phone,
    PaymentCard,
    UsSsn,
    Iban,
    IpAddress,
    Secret,
    PrivateKey,
}

public readonly record struct PiiMatch(PiiKind Kind, int Start, int Length);

/// <summary>
/// Finds personal data and secrets in text without regular expressions: vectorised searches find the few places
/// worth a look (<c>@</c>, digits, <c>:</c>, known key prefixes) and each candidate is checked by hand — card numbers
/// by Luhn, IBANs by their ISO 7064 mod-97 checksum, SSNs by the issued ranges — so clean text costs little and
/// digit noise (ids, dates, versions, digests) is not reported.
/// </summary>
/// <remarks>
/// Phone numbers are found when written with a <c>+</c> country code or in the North-American 3-3-4 form; US SSNs
/// in the dashed form. Undashed 9-digit numbers and national phone formats are indistinguishable from ids.
/// </remarks>
public static class PiiScanner
{
    private static readonly string[] SecretPrefixes =
    [
        "-----BEGIN ", "AKIA", "ASIA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "xoxb-", "xoxp-", "xoxa-",
        "xoxr-", "xoxs-", "sk_live_", "rk_live_", "sk-", "AIza", "AccountKey=", "SG.", "hf_",
    ];

    private static readonly SearchValues<string> Secrets = SearchValues.Create(SecretPrefixes, StringComparison.Ordinal);
    private static readonly SearchValues<char> LocalPart = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-");
    private static readonly SearchValues<char> DomainPart = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
    private static readonly SearchValues<char> Ipv6Chars = SearchValues.Create("0123456789abcdefABCDEF:.");
    private static readonly SearchValues<char> TokenChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");
    private static readonly SearchValues<char> Letters = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
    private static readonly SearchValues<char> Base64Chars = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=");

    public static void Scan(ReadOnlySpan<char> text, List<PiiMatch> matches)
    {
        ScanSecrets(text, matches);
        ScanEmails(text, matches);
        ScanNumbers(text, matches);
        ScanIpv6(text, matches);
    }

    private static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    private static void ScanSecrets(ReadOnlySpan<char> text, List<PiiMatch> matches)
    {
        var from = 0;
        while (from < text.Length)
        {
            var at = text[from..].IndexOfAny(Secrets);
            if (at < 0)
                return;
            var start = from + at;
            var length = SecretLength(text, start, out var kind);
            if (length > 0)
            {
                matches.Add(new PiiMatch(kind, start, length));
                from = start + length;
            }
            else
            {
                from = start + 1;
            }
        }
    }

    /// <summary>Length of the secret starting at <paramref name="start"/>, or 0 when the prefix is only a coincidence.</summary>
    private static int SecretLength(ReadOnlySpan<char> text, int start, out PiiKind kind)
    {
        kind = PiiKind.Secret;
        var rest = text[start..];
        if (rest.StartsWith("-----BEGIN ", StringComparison.Ordinal))
        {
            kind = PiiKind.PrivateKey;
            var close = rest[11..].IndexOf("-----", StringComparison.Ordinal);
            if (close < 0)
                return 0;
            var end = 11 + close;
            var label = rest[11..end];
            return label.EndsWith("PRIVATE KEY", StringComparison.Ordinal) && label.Length <= 40 ? end + 5 : 0;
        }

        // Key prefixes are tokens: a letter or digit just before means the prefix is inside a word.
        if (start > 0 && IsWordChar(text[start - 1]))
            return 0;
        if (rest.StartsWith("AccountKey=", StringComparison.Ordinal))
        {
            var run = Run(rest[11..], Base64Chars);
            return run >= 40 ? 11 + run : 0;
        }

        var token = Run(rest, TokenChars);
        var prefix = "";
        foreach (var p in SecretPrefixes)
        {
            if (rest.StartsWith(p, StringComparison.Ordinal))
            {
                prefix = p;
                break;
            }
        }
        var body = rest[prefix.Length..token];
        var ok = prefix switch
        {
            "AKIA" or "ASIA" => token == 20 && IsUpperAlnum(body),
            "ghp_" or "gho_" or "ghu_" or "ghs_" or "ghr_" => body.Length >= 36 && IsAlnum(body),
            "github_pat_" => body.Length >= 50,
            "glpat-" => body.Length >= 20,
            "AIza" => body.Length == 35,
            "sk-" => body.Length >= 32 && HasDigitAndLetter(body),
            "SG." => SendGrid(rest),
            "hf_" => body.Length >= 30 && IsAlnum(body) && HasDigitAndLetter(body),
            _ => body.Length >= 16 && HasDigitAndLetter(body),
        };
        if (prefix == "SG.")
            return ok ? 3 + 22 + 1 + 43 : 0;
        return ok ? token : 0;
    }

    private static bool SendGrid(ReadOnlySpan<char> rest)
    {
        // SG.<22 chars>.<43 chars>
        var first = Run(rest[3..], TokenChars);
        if (first != 22 || rest.Length <= 3 + first || rest[3 + first] != '.')
            return false;
        return Run(rest[(4 + first)..], TokenChars) == 43;
    }

    private static int Run(ReadOnlySpan<char> text, SearchValues<char> allowed)
    {
        var end = text.IndexOfAnyExcept(allowed);
        return end < 0 ? text.Length : end;
    }

    private static bool IsUpperAlnum(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c) && !char.IsAsciiLetterUpper(c))
                return false;
        }

        return true;
    }

    private static bool IsAlnum(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiLetterOrDigit(c))
                return false;
        }

        return true;
    }

    private static bool HasDigitAndLetter(ReadOnlySpan<char> s) =>
        s.IndexOfAnyInRange('0', '9') >= 0 && (s.IndexOfAnyInRange('a', 'z') >= 0 || s.IndexOfAnyInRange('A', 'Z') >= 0);

    private static void ScanEmails(ReadOnlySpan<char> text, List<PiiMatch> matches)
    {
        var from = 0;
        while (from < text.Length)
        {
            var at = text[from..].IndexOf('@');
            if (at < 0)
                return;
            var atSign = from + at;
            from = atSign + 1;
            var start = atSign;
            while (start > 0 && LocalPart.Contains(text[start - 1]))
                start--;
            while (start < atSign && text[start] is '.' or '-' or '+')
                start++;
            if (start == atSign)
                continue;
            var end = atSign + 1 + Run(text[(atSign + 1)..], DomainPart);
            while (end > atSign + 1 && text[end - 1] is '.' or '-')
                end--;
            var domain = text[(atSign + 1)..end];
            var dot = domain.LastIndexOf('.');
            if (dot <= 0 || domain.Length - dot - 1 < 2 || domain.Contains("..", StringComparison.Ordinal) || domain[0] is '-' or '.')
                continue;
            var tld = domain[(dot + 1)..];
            if (tld.IndexOfAnyExcept(Letters) >= 0)
                continue;
            matches.Add(new PiiMatch(PiiKind.Email, start, end - start));
            from = end;
        }
    }

    private static void ScanNumbers(ReadOnlySpan<char> text, List<PiiMatch> matches)
    {
        Span<int> groups = stackalloc int[24];
        var from = 0;
        while (from < text.Length)
        {
            var at = text[from..].IndexOfAnyInRange('0', '9');
            if (at < 0)
                return;
            var p = from + at;
            var runEnd = p + DigitRun(text[p..]);

            if (p > 0 && char.IsAsciiLetterOrDigit(text[p - 1]) || p > 0 && text[p - 1] == '_')
            {
                // Digits glued to a word: only an IBAN (two capitals, two check digits) starts like that.
                if (p >= 2 && runEnd - p >= 2 && char.IsAsciiLetterUpper(text[p - 1]) && char.IsAsciiLetterUpper(text[p - 2])
                    && (p == 2 || !IsWordChar(text[p - 3])))
                {
                    if (TryIban(text, p - 2, out var ibanLength))
                    {
                        matches.Add(new PiiMatch(PiiKind.Iban, p - 2, ibanLength));
                        from = p - 2 + ibanLength;
                        continue;
                    }

                    // IBAN-shaped but failing its checksum: its digit groups are not a card or a phone either.
                    from = p - 2 + ibanLength;
                    if (from > p)
                        continue;
                }

                from = runEnd;
                while (from < text.Length && IsWordChar(text[from]))
                    from++;
                continue;
            }

            var start = p;
            var plus = false;
            var paren = false;
            if (start > 0 && text[start - 1] == '(')
            {
                start--;
                paren = true;
            }

            if (start > 0 && text[start - 1] == '+')
            {
                start--;
                plus = true;
            }

            if (start > 0 && (IsWordChar(text[start - 1]) || text[start - 1] == '.' && !plus && !paren))
            {
                from = runEnd;
                continue;
            }

            // The token: digit groups joined by single separators (". ", ") " and similar pairs allowed).
            var count = 0;
            var digits = 0;
            var end = p;
            char separator = '\0';
            var mixed = false;
            var i = p;
            while (true)
            {
                var run = DigitRun(text[i..]);
                if (count == groups.Length)
                    break;
                groups[count++] = run;
                digits += run;
                end = i + run;
                var j = end;
                var sep = 0;
                while (j < text.Length && sep < 2 && text[j] is ' ' or '-' or '.' or ')' or '(')
                {
                    j++;
                    sep++;
                }

                if (sep == 0 || j >= text.Length || !char.IsAsciiDigit(text[j]))
                    break;
                var s = text[end] == ')' && sep == 2 ? text[end + 1] : text[end];
                if (separator == '\0')
                    separator = s;
                else if (s != separator)
                    mixed = true;
                i = j;
            }

            var last = end;
            if (last < text.Length && (IsWordChar(text[last]) || text[last] == '@'))
            {
                from = last;
                while (from < text.Length && IsWordChar(text[from]))
                    from++;
                continue;
            }

            var token = text[start..end];
            var kind = Classify(token, groups[..count], digits, separator, mixed, plus, paren);
            if (kind is { } k)
                matches.Add(new PiiMatch(k, start, end - start));
            from = end;
        }
    }

    private static int DigitRun(ReadOnlySpan<char> text)
    {
        var end = text.IndexOfAnyExceptInRange('0', '9');
        return end < 0 ? text.Length : end;
    }

    private static PiiKind? Classify(ReadOnlySpan<char> token, ReadOnlySpan<int> groups, int digits, char separator, bool mixed, bool plus, bool paren)
    {
        if (!plus && !paren && !mixed)
        {
            if (groups.Length == 4 && separator == '.' && IsIpv4(token))
                return PiiKind.IpAddress;
            if (groups.Length == 3 && separator == '-' && groups[0] == 3 && groups[1] == 2 && groups[2] == 4 && IsSsn(token))
                return PiiKind.UsSsn;
            if (digits is >= 13 and <= 19 && token[0] is >= '2' and <= '6' && CardGroups(groups, separator) && Luhn(token))
                return PiiKind.PaymentCard;
        }

        if (plus && digits is >= 8 and <= 15 && token[1] != '0')
            return separator is '.' && groups.Length == 4 ? null : PiiKind.Phone;
        if (!plus && IsNorthAmericanPhone(token, groups, separator, paren))
            return PiiKind.Phone;
        return null;
    }

    private static bool CardGroups(ReadOnlySpan<int> groups, char separator)
    {
        if (groups.Length == 1)
            return true;
        if (separator is not (' ' or '-'))
            return false;
        // 4-4-4-4(-3), or American Express 4-6-5.
        if (groups.Length == 3 && groups[0] == 4 && groups[1] == 6 && groups[2] == 5)
            return true;
        for (var i = 0; i < groups.Length - 1; i++)
        {
            if (groups[i] != 4)
                return false;
        }

        return groups[^1] is >= 1 and <= 4;
    }

    private static bool IsNorthAmericanPhone(ReadOnlySpan<char> token, ReadOnlySpan<int> groups, char separator, bool paren)
    {
        var offset = 0;
        if (groups.Length == 4 && groups[0] == 1 && token[0] == '1')
            offset = 1;
        if (groups.Length - offset != 3 || groups[offset] != 3 || groups[offset + 1] != 3 || groups[offset + 2] != 4)
            return false;
        if (separator is not ('-' or '.' or ' ' or ')'))
            return false;
        // Area code and exchange start with 2-9; (415) needs its closing parenthesis.
        var digits = new string(token.ToArray().Where(char.IsAsciiDigit).ToArray())[offset..];
        if (digits[0] < '2' || digits[3] < '2')
            return false;
        if (paren && token.IndexOf(')') < 0)
            return false;
        return !(separator == ' ' && !paren);
    }

    private static bool IsIpv4(ReadOnlySpan<char> token)
    {
        foreach (var part in token.ToString().Split('.'))
        {
            if (part.Length > 3 || int.Parse(part, System.Globalization.CultureInfo.InvariantCulture) > 255 || part.Length > 1 && part[0] == '0')
                return false;
        }

        return true;
    }

    private static bool IsSsn(ReadOnlySpan<char> token)
    {
        var area = int.Parse(token[..3], System.Globalization.CultureInfo.InvariantCulture);
        var group = int.Parse(token.Slice(4, 2), System.Globalization.CultureInfo.InvariantCulture);
        var serial = int.Parse(token[7..], System.Globalization.CultureInfo.InvariantCulture);
        return area is > 0 and < 900 and not 666 && group > 0 && serial > 0;
    }

    /// <summary>The Luhn checksum over the digits of <paramref name="token"/> (separators ignored).</summary>
    public static bool Luhn(ReadOnlySpan<char> token)
    {
        var sum = 0;
        var doubleIt = false;
        for (var i = token.Length - 1; i >= 0; i--)
        {
            var c = token[i];
            if (!char.IsAsciiDigit(c))
                continue;
            var d = c - '0';
            if (doubleIt)
            {
                d *= 2;
                if (d > 9)
                    d -= 9;
            }

            sum += d;
            doubleIt = !doubleIt;
        }

        return sum % 10 == 0;
    }

    /// <summary>An IBAN at <paramref name="start"/>: compact or in groups of four, 15–34 characters, mod-97 checksum 1.</summary>
    private static bool TryIban(ReadOnlySpan<char> text, int start, out int length)
    {
        length = 0;
        Span<int> ends = stackalloc int[16];
        var endCount = 0;
        var compact = 0;
        var i = start;
        while (i < text.Length && endCount < ends.Length)
        {
            var run = 0;
            while (i + run < text.Length && (char.IsAsciiDigit(text[i + run]) || char.IsAsciiLetterUpper(text[i + run])))
                run++;
            if (run == 0)
                break;
            compact += run;
            i += run;
            if (i < text.Length && IsWordChar(text[i]))
                return false;
            ends[endCount++] = i;
            if (compact > 34 || i >= text.Length || text[i] != ' ')
                break;
            i++;
        }

        // Longest first: a capitalised word after the IBAN is not part of it.
        for (var e = endCount - 1; e >= 0; e--)
        {
            var candidate = text[start..ends[e]];
            var n = 0;
            foreach (var c in candidate)
            {
                if (c != ' ')
                    n++;
            }

            if (n is >= 15 and <= 34 && IbanChecksum(candidate))
            {
                length = ends[e] - start;
                return true;
            }
        }

        // Not an IBAN; the caller skips the whole shape.
        length = endCount > 0 ? ends[endCount - 1] - start : 0;
        return false;
    }

    /// <summary>ISO 13616: move the first four characters to the end, letters to 10..35, the number mod 97 must be 1.</summary>
    public static bool IbanChecksum(ReadOnlySpan<char> iban)
    {
        Span<char> compact = stackalloc char[40];
        var n = 0;
        foreach (var c in iban)
        {
            if (c == ' ')
                continue;
            if (n == compact.Length)
                return false;
            compact[n++] = c;
        }

        if (n < 5 || !char.IsAsciiLetterUpper(compact[0]) || !char.IsAsciiLetterUpper(compact[1]) || !char.IsAsciiDigit(compact[2]) || !char.IsAsciiDigit(compact[3]))
            return false;
        var remainder = 0;
        for (var k = 0; k < n; k++)
        {
            var c = compact[(k + 4) % n];
            if (char.IsAsciiDigit(c))
                remainder = (remainder * 10 + (c - '0')) % 97;
            else if (char.IsAsciiLetterUpper(c))
                remainder = (remainder * 100 + (c - 'A' + 10)) % 97;
            else
                return false;
        }

        return remainder == 1;
    }

    private static void ScanIpv6(ReadOnlySpan<char> text, List<PiiMatch> matches)
    {
        var from = 0;
        while (from < text.Length)
        {
            var at = text[from..].IndexOf(':');
            if (at < 0)
                return;
            var colon = from + at;
            var start = colon;
            while (start > 0 && Ipv6Chars.Contains(text[start - 1]))
                start--;
            var end = colon + Run(text[colon..], Ipv6Chars);
            from = end + 1;
            var candidate = text[start..end].TrimEnd('.');
            if (candidate.Length < 6 || start > 0 && IsWordChar(text[start - 1]) || end < text.Length && IsWordChar(text[end]))
                continue;
            var colons = candidate.Count(':');
            if (colons < 2 || colons < 7 && !candidate.Contains("::", StringComparison.Ordinal))
                continue;
            if (candidate.IndexOfAnyExcept(':') < 0 || !IPAddress.TryParse(candidate, out var address) || address.AddressFamily != AddressFamily.InterNetworkV6)
                continue;
            if (address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6Loopback))
                continue;
            matches.Add(new PiiMatch(PiiKind.IpAddress, start, candidate.Length));
        }
    }

    public static string Code(PiiKind kind) => kind switch
    {
        PiiKind.Email => "pii.email",
        PiiKind.Phone => "pii.phone",
        PiiKind.PaymentCard => "pii.payment_card",
        PiiKind.UsSsn => "pii.us_ssn",
        PiiKind.Iban => "pii.iban",
        PiiKind.IpAddress => "pii.ip_address",
        PiiKind.Secret => "secret.api_key",
        _ => "secret.private_key",
    };

    public static string Describe(PiiKind kind) => kind switch
    {
        PiiKind.Email => "an e-mail address",
        PiiKind.Phone => "a phone number",
        PiiKind.PaymentCard => "a payment card number",
        PiiKind.UsSsn => "a US social security number",
        PiiKind.Iban => "an IBAN",
        PiiKind.IpAddress => "an IP address",
        PiiKind.Secret => "a cloud or API secret",
        _ => "a private key",
    };

    /// <summary>Enough of the value to find it again, never enough to use it.</summary>
    public static string Redact(PiiKind kind, ReadOnlySpan<char> value)
    {
        switch (kind)
        {
            case PiiKind.Email:
            {
                var at = value.IndexOf('@');
                var domain = value[(at + 1)..];
                var dot = domain.LastIndexOf('.');
                return $"{value[0]}***@{domain[0]}***{domain[dot..]}";
            }
            case PiiKind.PaymentCard:
                return MaskDigits(value, keep: 4);
            case PiiKind.Phone:
                return MaskDigits(value, keep: 2);
            case PiiKind.UsSsn:
                return "***-**-****";
            case PiiKind.Iban:
            {
                var compact = value.ToString().Replace(" ", "", StringComparison.Ordinal);
                return compact[..2] + new string('*', compact.Length - 6) + compact[^4..];
            }
            case PiiKind.IpAddress:
            {
                var colon = value.IndexOf(':');
                return colon >= 0 ? value[..colon].ToString() + ":****:…" : value[..value.IndexOf('.')].ToString() + ".***.***.***";
            }
            case PiiKind.PrivateKey:
                return value.ToString() + " [key body redacted]";
            default:
                return value[..Math.Min(4, value.Length)].ToString() + new string('*', 8) + $" ({value.Length} chars)";
        }
    }

    private static string MaskDigits(ReadOnlySpan<char> value, int keep)
    {
        var digits = 0;
        foreach (var c in value)
        {
            if (char.IsAsciiDigit(c))
                digits++;
        }

        var chars = value.ToArray();
        var seen = 0;
        for (var i = 0; i < chars.Length; i++)
        {
            if (!char.IsAsciiDigit(chars[i]))
                continue;
            if (seen++ < digits - keep)
                chars[i] = '*';
        }

        return new string(chars);
    }
}
