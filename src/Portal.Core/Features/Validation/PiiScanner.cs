using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PhoneNumbers;

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
/// by Luhn, IBANs by their ISO 7064 mod-97 checksum, SSNs by the issued ranges, phone numbers by libphonenumber's
/// numbering plans — so clean text costs little and digit noise (ids, dates, versions, digests) is not reported.
/// Total: any text, however malformed, is scanned without an exception, in time linear in its length.
/// </summary>
/// <remarks>
/// Phone numbers are found when written with a <c>+</c> country code (any country), or in the national format of one of
/// <see cref="PhoneRegions"/>, and only when written with a separator (space, dash, dot or parentheses): an undashed run
/// of digits is indistinguishable from an id. Dates, dotted versions and addresses, book numbers and the tails of
/// identifiers (<c>INV-2026-000123</c>) are not looked up. US SSNs are found in the dashed form.
/// </remarks>
public sealed class PiiScanner
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

    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    /// <summary>National formats recognised when the site configures none.</summary>
    public static readonly IReadOnlyList<string> DefaultPhoneRegions = ["US", "GB"];

    /// <summary>The scanner with <see cref="DefaultPhoneRegions"/> (declared after what its constructor reads).</summary>
    public static PiiScanner Default { get; } = new(DefaultPhoneRegions);

    /// <summary>libphonenumber candidates tried within one token (a token is at most a few dozen characters).</summary>
    private const int PhoneTriesPerToken = 4;

    /// <summary>Tokens of one line looked up as phone numbers; past this a line of number noise costs no more.</summary>
    private const int PhoneLookupsPerLine = 256;

    /// <summary>Longest secret token measured; keeps a line made of repeated key prefixes linear to scan.</summary>
    private const int MaxSecretLength = 512;

    private readonly string[] _phoneRegions;

    /// <summary>With no region, <c>ZZ</c> (unknown) still finds numbers written with a <c>+</c> country code.</summary>
    private readonly string[] _lookupRegions;

    /// <param name="phoneRegions">ISO 3166 two-letter regions whose national phone formats are recognised.</param>
    /// <exception cref="ArgumentException">A region libphonenumber does not know.</exception>
    public PiiScanner(IEnumerable<string> phoneRegions)
    {
        _phoneRegions = phoneRegions.Select(r => r.Trim().ToUpperInvariant()).Where(r => r.Length > 0).Distinct().ToArray();
        var unknown = _phoneRegions.Where(r => !IsPhoneRegion(r)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"Unknown phone region(s) {string.Join(", ", unknown)}: use ISO 3166 two-letter codes such as US, GB, DE.", nameof(phoneRegions));
        _lookupRegions = _phoneRegions.Length > 0 ? _phoneRegions : ["ZZ"];
    }

    public IReadOnlyList<string> PhoneRegions => _phoneRegions;

    public static bool IsPhoneRegion(string region) => Phones.GetSupportedRegions().Contains(region);

    /// <summary>Regions from a comma-separated setting (<c>"US,GB"</c>).</summary>
    public static IReadOnlyList<string> ParseRegions(string? setting) =>
        (setting ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(r => r.ToUpperInvariant()).ToArray();

    public void Scan(ReadOnlySpan<char> text, List<PiiMatch> matches)
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

        if (rest.StartsWith("SG.", StringComparison.Ordinal))
            return SendGrid(rest) ? 3 + 22 + 1 + 43 : 0;
        var token = Run(rest[..Math.Min(rest.Length, MaxSecretLength)], TokenChars);
        var prefix = "";
        foreach (var p in SecretPrefixes)
        {
            if (rest.StartsWith(p, StringComparison.Ordinal))
            {
                prefix = p;
                break;
            }
        }
        // Every prefix left is made of token characters, so the token covers it.
        var body = rest[prefix.Length..Math.Max(prefix.Length, token)];
        var ok = prefix switch
        {
            "AKIA" or "ASIA" => token == 20 && IsUpperAlnum(body),
            "ghp_" or "gho_" or "ghu_" or "ghs_" or "ghr_" => body.Length >= 36 && IsAlnum(body),
            "github_pat_" => body.Length >= 50,
            "glpat-" => body.Length >= 20,
            "AIza" => body.Length == 35,
            "sk-" => body.Length >= 32 && HasDigitAndLetter(body),
            "hf_" => body.Length >= 30 && IsAlnum(body) && HasDigitAndLetter(body),
            _ => body.Length >= 16 && HasDigitAndLetter(body),
        };
        return ok ? token : 0;
    }

    private static bool SendGrid(ReadOnlySpan<char> rest)
    {
        // SG.<22 chars>.<43 chars>, then the end of the token.
        if (rest.Length < 3 + 22 + 1 + 43 || rest[3 + 22] != '.')
            return false;
        return Run(rest.Slice(3, 22), TokenChars) == 22 && Run(rest.Slice(26, 43), TokenChars) == 43
            && (rest.Length == 69 || !TokenChars.Contains(rest[69]));
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

    private void ScanNumbers(ReadOnlySpan<char> text, List<PiiMatch> matches)
    {
        Span<int> groups = stackalloc int[24];
        var phoneLookups = PhoneLookupsPerLine;
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

            // The numeric tail of an identifier, a path or a URL ("fuzzer-5390364397928448", "detail/5667125715927040").
            var identifierTail = !plus && !paren && start >= 2 && text[start - 1] is '-' or '/' && IsWordChar(text[start - 2]);

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
            if (identifierTail)
            {
                from = end;
                continue;
            }

            var kind = Classify(text, start, token, groups[..count], digits, separator, mixed, plus, paren);
            if (kind is { } k)
                matches.Add(new PiiMatch(k, start, end - start));
            else if (phoneLookups > 0 && IsPhoneCandidate(text, start, p, token, groups[..count], digits, separator, mixed, plus))
            {
                phoneLookups--;
                FindPhones(start, token, matches);
            }

            from = end;
        }
    }

    private static int DigitRun(ReadOnlySpan<char> text)
    {
        var end = text.IndexOfAnyExceptInRange('0', '9');
        return end < 0 ? text.Length : end;
    }

    /// <summary>An IP address, a US SSN or a payment card; phone numbers are left to <see cref="FindPhones"/>.</summary>
    private static PiiKind? Classify(ReadOnlySpan<char> text, int start, ReadOnlySpan<char> token, ReadOnlySpan<int> groups, int digits, char separator, bool mixed, bool plus, bool paren)
    {
        if (plus || paren || mixed)
            return null;
        if (groups.Length == 4 && separator == '.' && IsIpv4(token))
            return IsPersonalIpv4(text, start, token) ? PiiKind.IpAddress : null;
        if (groups.Length == 3 && separator == '-' && IsSsn(token))
            return PiiKind.UsSsn;
        if (digits is >= 13 and <= 19 && CardGroups(groups, separator) && IsCardNumberShape(token, digits) && Luhn(token))
            return PiiKind.PaymentCard;
        return null;
    }

    /// <summary>
    /// Not an address that identifies a person's machine: this host, "any", broadcast and multicast; nor a version
    /// number that happens to be a dotted quad (<c>zlib &gt;= 1.2.2.3</c>, <c>version 3.6.23.1</c>).
    /// </summary>
    private static bool IsPersonalIpv4(ReadOnlySpan<char> text, int start, ReadOnlySpan<char> token)
    {
        var firstOctet = int.Parse(token[..token.IndexOf('.')], NumberStyles.None, CultureInfo.InvariantCulture);
        if (firstOctet is 0 or 127 or >= 224)
            return false;
        var before = text[Math.Max(0, start - 10)..start].TrimEnd(' ');
        return !before.EndsWith("=", StringComparison.Ordinal) && !before.EndsWith(">", StringComparison.Ordinal) && !before.EndsWith("<", StringComparison.Ordinal)
            && !before.EndsWith("version", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The issuer prefixes and lengths cards are issued with (Visa, Mastercard, Amex, Discover, Diners, JCB, UnionPay, Maestro).</summary>
    private static bool IsCardNumberShape(ReadOnlySpan<char> token, int digits)
    {
        Span<char> head = stackalloc char[4];
        var n = 0;
        foreach (var c in token)
        {
            if (!char.IsAsciiDigit(c))
                continue;
            head[n++] = c;
            if (n == head.Length)
                break;
        }

        var two = (head[0] - '0') * 10 + (head[1] - '0');
        var four = two * 100 + (head[2] - '0') * 10 + (head[3] - '0');
        return head[0] switch
        {
            '4' => digits is 13 or 16 or 19,
            '2' => four is >= 2221 and <= 2720 && digits == 16,
            '5' => two is >= 51 and <= 55 ? digits == 16 : two is 50 or (>= 56 and <= 58),
            '3' => two is 34 or 37 ? digits == 15 : two is 36 or 38 or 39 || four is >= 3000 and <= 3059 || four is >= 3528 and <= 3589 && digits >= 16,
            '6' => true,
            _ => false,
        };
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

    /// <summary>
    /// Whether a digit token is worth asking libphonenumber about: 7 to 17 digits, a <c>+</c> or at least one separator,
    /// and none of the shapes that dial by coincidence — a date or timestamp led by its year, a dotted version or
    /// address, the numeric tail of an identifier, a book or serial number.
    /// </summary>
    private static bool IsPhoneCandidate(ReadOnlySpan<char> text, int start, int firstDigit, ReadOnlySpan<char> token, ReadOnlySpan<int> groups, int digits, char separator, bool mixed, bool plus)
    {
        if (digits is < 7 or > 17)
            return false;
        // Numbers are written in a few groups, seldom of one digit (a country or trunk code, a French area digit):
        // many groups, or many one-digit groups, are a list or a table.
        var singles = 0;
        foreach (var g in groups)
            singles += g == 1 ? 1 : 0;
        if (groups.Length > (plus ? 7 : 5) || singles > (plus ? 2 : 1))
            return false;
        if (plus)
            return true;
        if (groups.Length < 2)
            return false;
        // A date led by its year ("2015-01-06 11", "2242-03-16 12"); a time's fraction or a ratio ("09:57:43.266306").
        if (groups[0] == 4 && text[firstDigit] is '1' or '2' && groups[1] <= 2)
            return false;
        if (start >= 2 && text[start - 1] == ':' && char.IsAsciiDigit(text[start - 2]))
            return false;
        // Dots: a decimal ("43.26630619"), an address or version, or a clause number mixed with dashes ("252.227-7013").
        var dotted = token.Contains('.');
        if (dotted && (mixed || groups.Length == 2 || groups.Length >= 4))
            return false;
        // A range or a pair ("64040-64044", "31433 31431"); bytes or a list of small numbers ("90 78 56 34 12").
        if (groups.Length == 2 && groups[0] == groups[1] && groups[0] >= 4)
            return false;
        if (groups.Length >= 4 && text[firstDigit] != '0' && AllAtMost(groups, 2))
            return false;
        if (start >= 2 && text[start - 1] == '#' && IsWordChar(text[start - 2]))
            return false;
        var before = text[Math.Max(0, start - 12)..start];
        return !before.Contains("ISBN", StringComparison.OrdinalIgnoreCase) && !before.Contains("ISSN", StringComparison.OrdinalIgnoreCase);
    }

    private static bool AllAtMost(ReadOnlySpan<int> groups, int digits)
    {
        foreach (var g in groups)
        {
            if (g > digits)
                return false;
        }

        return true;
    }

    /// <summary>Phone numbers within a candidate token (ASCII digits, separators, <c>+</c> and parentheses only), per region in order.</summary>
    private void FindPhones(int start, ReadOnlySpan<char> token, List<PiiMatch> matches)
    {
        var candidate = token.ToString();
        foreach (var region in _lookupRegions)
        {
            var found = false;
            foreach (var match in Phones.FindNumbers(candidate, region, PhoneNumberUtil.Leniency.VALID, PhoneTriesPerToken))
            {
                // A bare run of digits inside the token is an id, whatever it would dial.
                var raw = match.RawString;
                if (raw.Length == 0 || raw[0] != '+' && raw.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0)
                    continue;
                matches.Add(new PiiMatch(PiiKind.Phone, start + match.Start, match.Length));
                found = true;
            }

            if (found)
                return;
        }
    }

    /// <summary>Four groups of one to three digits joined by single dots, each at most 255 and without a leading zero.</summary>
    private static bool IsIpv4(ReadOnlySpan<char> token)
    {
        var parts = 0;
        foreach (var range in token.Split('.'))
        {
            var part = token[range];
            if (part.Length is 0 or > 3 || part.Length > 1 && part[0] == '0' || !int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > 255)
                return false;
            parts++;
        }

        return parts == 4;
    }

    /// <summary><c>AAA-GG-SSSS</c> with single dashes, in the ranges the SSA issues.</summary>
    private static bool IsSsn(ReadOnlySpan<char> token)
    {
        if (token.Length != 11 || token[3] != '-' || token[6] != '-')
            return false;
        if (!int.TryParse(token[..3], NumberStyles.None, CultureInfo.InvariantCulture, out var area)
            || !int.TryParse(token.Slice(4, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var group)
            || !int.TryParse(token[7..], NumberStyles.None, CultureInfo.InvariantCulture, out var serial))
            return false;
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

    /// <summary>Enough of the value to find it again, never enough to use it. Any text is accepted (a match is expected).</summary>
    public static string Redact(PiiKind kind, ReadOnlySpan<char> value)
    {
        if (value.IsEmpty)
            return "";
        switch (kind)
        {
            case PiiKind.Email:
            {
                var at = value.IndexOf('@');
                var domain = at < 0 ? [] : value[(at + 1)..];
                var dot = domain.LastIndexOf('.');
                return dot <= 0 ? $"{value[0]}***" : $"{value[0]}***@{domain[0]}***{domain[dot..]}";
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
                return compact.Length <= 6 ? new string('*', compact.Length) : compact[..2] + new string('*', compact.Length - 6) + compact[^4..];
            }
            case PiiKind.IpAddress:
            {
                var colon = value.IndexOf(':');
                if (colon >= 0)
                    return value[..colon].ToString() + ":****:…";
                var dot = value.IndexOf('.');
                return dot >= 0 ? value[..dot].ToString() + ".***.***.***" : "***";
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
