using Portal.Core.Features.Validation;
using Xunit.Abstractions;

namespace Portal.Core.Tests.Features.Validation;

public sealed class PiiScannerTests(ITestOutputHelper output)
{
    /// <summary>Every planted value, with the kind it must be found as, each inside ordinary prose.</summary>
    public static readonly (PiiKind Kind, string Value)[] Planted =
    [
        (PiiKind.Email, "jane.doe@example.com"), (PiiKind.Email, "a.b+tag@mail.co.uk"), (PiiKind.Email, "ops_team@corp-internal.io"),
        (PiiKind.Phone, "+1 415 555 2671"), (PiiKind.Phone, "(415) 555-2671"), (PiiKind.Phone, "415-555-2671"), (PiiKind.Phone, "+44 20 7946 0958"),
        (PiiKind.Phone, "+4915123456789"), (PiiKind.Phone, "212.555.0199"),
        (PiiKind.PaymentCard, "4111 1111 1111 1111"), (PiiKind.PaymentCard, "5500-0000-0000-0004"), (PiiKind.PaymentCard, "378282246310005"),
        (PiiKind.PaymentCard, "6011111111111117"), (PiiKind.PaymentCard, "4012888888881881"),
        (PiiKind.UsSsn, "123-45-6789"), (PiiKind.UsSsn, "078-05-1120"), (PiiKind.UsSsn, "219-09-9999"),
        (PiiKind.Iban, "DE89 3704 0044 0532 0130 00"), (PiiKind.Iban, "GB29NWBK60161331926819"), (PiiKind.Iban, "FR14 2004 1010 0505 0001 3M02 606"),
        (PiiKind.IpAddress, "192.168.1.20"), (PiiKind.IpAddress, "8.8.8.8"), (PiiKind.IpAddress, "2001:db8:85a3::8a2e:370:7334"), (PiiKind.IpAddress, "fe80::1ff:fe23:4567:890a"),
        (PiiKind.Secret, "AKIAIOSFODNN7EXAMPLE"), (PiiKind.Secret, "ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
        (PiiKind.Secret, "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"), (PiiKind.Secret, "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
        (PiiKind.Secret, "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW"), (PiiKind.Secret, "glpat-xxxxxxxxxxxxxxxxxx20"),
        (PiiKind.Secret, "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"),
        (PiiKind.PrivateKey, "-----BEGIN RSA PRIVATE KEY-----"), (PiiKind.PrivateKey, "-----BEGIN OPENSSH PRIVATE KEY-----"), (PiiKind.PrivateKey, "-----BEGIN PRIVATE KEY-----"),
    ];

    /// <summary>Text full of digits, dates, versions, ids and digests that is not personal data.</summary>
    public static readonly string[] Clean =
    [
        "The model scored 0.8734 on 2026-11-30 at 14:05:33 after 12000 steps.",
        "Order 1234567 shipped on 30/11/2026; total 1,299.99 EUR incl. 19% VAT.",
        "Use version 2.3.1 (build 20261130) of the tokenizer; see RFC 7807 section 3.1.",
        "Digest sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 verified.",
        "Request id 550e8400-e29b-41d4-a716-446655440000 took 35 ms (p99 120 ms).",
        "The ratio 3:2 held; times 09:30, 12:00 and 18:45 were busy.",
        "Temperatures were 21.5, 22.0 and 19.75 degrees; 3 of 4 runs passed.",
        "Call the @support handle or write to the team; mention #123 and ticket ABC-1234.",
        "Coordinates 48.8566, 2.3522 mark Paris; population 2,102,650.",
        "Skipping sk- prefixed names like sk-short and risk-assessment is fine.",
        "ISBN 978-3-16-148410-0 and ISSN 2049-3630 are book numbers.",
        "The array [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] sums to 55; 2^32 = 4294967296.",
        "In 2024 2025 and 2026 the team grew from 12 to 40 people.",
        "Line 42: def f(x): return x * 1000000007 % 998244353",
        "US ZIP 94105-1420 is a postal code, not a phone.",
        "git commit 3f2a9b1c shows 16 files changed, 1024 insertions(+), 512 deletions(-).",
        "Ask AKIA about it: the Akia river flows 120 km.",
        "Email me at the usual place; user at example dot com is not an address.",
        "Invoice INV-2026-000123 dated 2026-01-15 for 4,500.00 USD.",
        "The IPv6 any address :: and loopback ::1 are not personal.",
    ];

    [Fact]
    public void Every_planted_case_is_found_as_its_kind_and_clean_text_yields_nothing()
    {
        int truePositives = 0, falseNegatives = 0, falsePositives = 0;
        var matches = new List<PiiMatch>();
        foreach (var (kind, value) in Planted)
        {
            var line = $"{{\"text\":\"Contact details: {value}. Thanks!\",\"label\":\"support\"}}";
            matches.Clear();
            PiiScanner.Default.Scan(line, matches);
            var hit = matches.Any(m => m.Kind == kind && line.Substring(m.Start, m.Length).Contains(value.Split(' ')[0].TrimStart('(', '+'), StringComparison.Ordinal));
            if (hit)
                truePositives++;
            else
                output.WriteLine($"missed {kind}: {value} → {string.Join(", ", matches.Select(m => $"{m.Kind}:{line.Substring(m.Start, m.Length)}"))}");
            falseNegatives += hit ? 0 : 1;
            falsePositives += matches.Count(m => m.Kind != kind);
        }

        foreach (var line in Clean)
        {
            matches.Clear();
            PiiScanner.Default.Scan(line, matches);
            foreach (var m in matches)
                output.WriteLine($"false positive {m.Kind}: '{line.Substring(m.Start, m.Length)}' in {line}");
            falsePositives += matches.Count;
        }

        var precision = truePositives / (double)(truePositives + falsePositives);
        var recall = truePositives / (double)(truePositives + falseNegatives);
        output.WriteLine($"planted {Planted.Length}, clean lines {Clean.Length}: precision {precision:0.000}, recall {recall:0.000}");
        Assert.Equal(0, falseNegatives);
        Assert.Equal(0, falsePositives);
    }

    [Theory]
    [InlineData("4111 1111 1111 1112")]
    [InlineData("DE89 3704 0044 0532 0130 01")]
    [InlineData("000-12-3456")]
    [InlineData("666-12-3456")]
    [InlineData("999.1.1.1")]
    public void Values_with_bad_checksums_or_impossible_ranges_are_not_reported(string value)
    {
        var matches = new List<PiiMatch>();
        PiiScanner.Default.Scan($"value {value} here", matches);
        Assert.Empty(matches);
    }

    [Theory]
    [InlineData("ranges 10..20..30..40")]
    [InlineData("Singapore (SG.) office")]
    [InlineData("ids 123--45--6789 here")]
    [InlineData("SG.")]
    [InlineData("x SG.abc.def and AccountKey= and -----BEGIN ")]
    [InlineData("1.2.3.4.5.6.7.8 and 1..2 and 1-- and +( and (( 12")]
    public void Ordinary_text_that_once_crashed_the_scanner_is_scanned(string line)
    {
        var matches = new List<PiiMatch>();
        PiiScanner.Default.Scan(line, matches);
        Assert.Empty(matches);
    }

    [Theory]
    [InlineData("020 7946 0958", "020 7946 0958")]
    [InlineData("+44 20 7946 0958", "+44 20 7946 0958")]
    [InlineData("(415) 555-0132", "(415) 555-0132")]
    [InlineData("0161 496 0000", "0161 496 0000")]
    [InlineData("+33 1 23 45 67 89", "+33 1 23 45 67 89")]
    [InlineData("+49 30 901820", "+49 30 901820")]
    [InlineData("Call +1 415 555 2671 today.", "+1 415 555 2671")]
    public void Phone_numbers_in_national_and_international_form_are_found(string line, string phone)
    {
        var matches = new List<PiiMatch>();
        PiiScanner.Default.Scan($"Please ring {line} after nine.", matches);
        var match = Assert.Single(matches);
        Assert.Equal(PiiKind.Phone, match.Kind);
        Assert.Equal(phone, $"Please ring {line} after nine.".Substring(match.Start, match.Length));
    }

    [Theory]
    [InlineData("Version 10.15.7 and 4.19.0-25 and 2.36.1-8+deb12u1")]
    [InlineData("Released 2023-10-12 14:05:33 +0200, Mon, 12 Oct 2023 14:05:33 +0200")]
    [InlineData("Dates 12.10.2023, 2023.10.12, 12-10-2023, 2026-01-15 0930")]
    [InlineData("Resolver 208.67.222.222 and 203.0.113.195 and 10.0.0.138")]
    [InlineData("ISBN 978-3-16-148410-0, ISBN 0-306-40615-2, ISBN-10: 0 306 40615 2")]
    [InlineData("ids 2147483647 4155550132 20231012143055 12345678901234567890")]
    [InlineData("Invoice INV-2026-000123, ticket PROJ-415-555-0132, CVE-2023-12345")]
    [InlineData("Boston, MA 02110-1301 USA; 59 Temple Place, Suite 330, Boston, MA 02111-1307")]
    [InlineData("table 1 2 3 4 5 6 7 8 9 10 and 100 200 300 400")]
    public void Numbers_that_dial_by_coincidence_are_not_phone_numbers(string line)
    {
        var matches = new List<PiiMatch>();
        PiiScanner.Default.Scan(line, matches);
        foreach (var m in matches)
            output.WriteLine($"{m.Kind}: '{line.Substring(m.Start, m.Length)}'");
        Assert.DoesNotContain(matches, m => m.Kind == PiiKind.Phone);
    }

    [Fact]
    public void National_formats_follow_the_configured_regions_and_international_ones_are_found_in_any()
    {
        var german = new PiiScanner(["DE"]);
        var matches = new List<PiiMatch>();
        german.Scan("Büro 030 901820, London 020 7946 0958, intl +44 20 7946 0958", matches);
        Assert.Equal(["030 901820", "+44 20 7946 0958"], matches.Select(m => "Büro 030 901820, London 020 7946 0958, intl +44 20 7946 0958".Substring(m.Start, m.Length)));
        matches.Clear();
        new PiiScanner([]).Scan("020 7946 0958 or +44 20 7946 0958", matches);
        Assert.Equal(17, Assert.Single(matches).Start);
        Assert.Throws<ArgumentException>(() => new PiiScanner(["XX"]));
    }

    [Fact]
    public void Redaction_keeps_only_a_hint()
    {
        Assert.Equal("j***@e***.com", PiiScanner.Redact(PiiKind.Email, "jane.doe@example.com"));
        Assert.Equal("**** **** **** 1111", PiiScanner.Redact(PiiKind.PaymentCard, "4111 1111 1111 1111"));
        Assert.Equal("***-**-****", PiiScanner.Redact(PiiKind.UsSsn, "123-45-6789"));
        Assert.Equal("DE****************3000", PiiScanner.Redact(PiiKind.Iban, "DE89 3704 0044 0532 0130 00"));
        Assert.DoesNotContain("IOSFODNN7", PiiScanner.Redact(PiiKind.Secret, "AKIAIOSFODNN7EXAMPLE"), StringComparison.Ordinal);
        Assert.Equal("+** ** **** **58", PiiScanner.Redact(PiiKind.Phone, "+44 20 7946 0958"));
    }

    [Fact]
    public void Redaction_accepts_any_text()
    {
        foreach (var kind in Enum.GetValues<PiiKind>())
        {
            foreach (var value in new[] { "", "@", "a@b", "x", "1", "::", "DE8", "\uD800", "\0" })
                Assert.NotNull(PiiScanner.Redact(kind, value));
        }
    }
}

