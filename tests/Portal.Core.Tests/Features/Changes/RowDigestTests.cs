using System.Globalization;
using System.Text;
using System.Text.Json;
using CsCheck;
using Portal.Core.Features.Changes;
using Portal.TestCommon;
using Xunit.Abstractions;

namespace Portal.Core.Tests.Features.Changes;

/// <summary>The row digest's canonical form: pinned examples, and properties over generated rows.</summary>
public sealed class RowDigestTests(ITestOutputHelper output)
{
    private static string Canonical(string json) => Encoding.UTF8.GetString(RowDigest.Canonicalize(Encoding.UTF8.GetBytes(json)));

    [Theory]
    [InlineData("{\"b\": 1, \"a\": [true, null, \"x\"]}", "{\"a\":[true,null,\"x\"],\"b\":1}")]
    [InlineData("{\"n\": 1.0, \"m\": 1E2, \"k\": -0, \"j\": 0.000001, \"i\": 1e-7, \"h\": 1e21, \"g\": 123456789012345678901234567890}",
        "{\"g\":123456789012345678901234567890,\"h\":1e+21,\"i\":1e-7,\"j\":0.000001,\"k\":0,\"m\":100,\"n\":1}")]
    [InlineData("{\"s\": \"caf\\u00e9 \\/ \\\" \\\\ \\n \\u0001 \\ud83d\\ude00\"}", "{\"s\":\"café / \\\" \\\\ \\n \\u0001 😀\"}")]
    [InlineData("{\"é\": 1, \"z\": 2, \"Z\": 3}", "{\"Z\":3,\"z\":2,\"é\":1}")]
    [InlineData("[ 1 , {\"b\":{\"d\":1,\"c\":2}} ]", "[1,{\"b\":{\"c\":2,\"d\":1}}]")]
    public void Canonical_form_is_pinned(string json, string expected) => Assert.Equal(expected, Canonical(json));

    [Fact]
    public void The_digest_is_sha256_of_the_canonical_bytes()
    {
        // Pinned: a change to the canonical form changes every stored digest, so it must be deliberate (docs/change-feed.md).
        Assert.Equal("1796585a61bd31a5afd4f462e9696e9b2383ae1538726e9eb6b9ef11757bdff3", RowDigest.Of(RowDigest.Canonicalize("{\"text\":\"a\", \"id\":1.0}"u8.ToArray())));
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("{\"id\":1,\"text\":\"a\"}"u8)),
            RowDigest.Of(RowDigest.Canonicalize(Encoding.UTF8.GetBytes("{ \"text\": \"a\", \"id\": 1 }"))));
    }

    [Fact]
    public void A_repeated_member_name_is_malformed() =>
        Assert.ThrowsAny<JsonException>(() => RowDigest.Canonicalize("{\"a\":1,\"a\":2}"u8.ToArray()));

    private static readonly Gen<string> Text = Gen.String[Gen.Char[(char)1, (char)0x2FF], 0, 12];

    private static readonly Gen<object?> Leaf = Gen.OneOf<object?>(
        Text.Select(s => (object?)s),
        Gen.Long[-(1L << 53), 1L << 53].Select(l => (object?)l),
        Gen.Double.Where(double.IsFinite).Select(d => (object?)d),
        Gen.Bool.Select(b => (object?)b),
        Gen.Const(0).Select(_ => (object?)null));

    private static readonly Gen<Dictionary<string, object?>> Row =
        Gen.Dictionary(Gen.String[Gen.Char.AlphaNumeric, 1, 6], Leaf)[0, 8];

    [Fact]
    public void Member_order_spacing_and_number_spelling_do_not_change_the_digest() =>
        SeededProperty.Check(Gen.Select(Row, Gen.Int[0, 1000]), 500, t =>
        {
            var (row, shuffleSeed) = t;
            var first = Serialize(row, row.Keys.ToList(), compact: true, alternateNumbers: false);
            var shuffled = row.Keys.OrderBy(k => (k.GetHashCode() ^ shuffleSeed) & 0xFFFF).ThenBy(k => k, StringComparer.Ordinal).ToList();
            var second = Serialize(row, shuffled, compact: false, alternateNumbers: true);
            var a = RowDigest.Canonicalize(Encoding.UTF8.GetBytes(first));
            var b = RowDigest.Canonicalize(Encoding.UTF8.GetBytes(second));
            Assert.Equal(Encoding.UTF8.GetString(a), Encoding.UTF8.GetString(b));
            // Canonical JSON is a fixed point, and still denotes the same values.
            Assert.Equal(a, RowDigest.Canonicalize(a));
            using var parsed = JsonDocument.Parse(a);
            foreach (var (key, value) in row)
            {
                if (value is double d)
                    Assert.Equal(d, parsed.RootElement.GetProperty(key).GetDouble());
                else if (value is string s)
                    Assert.Equal(s, parsed.RootElement.GetProperty(key).GetString());
            }
        }, output);

    [Fact]
    public void Doubles_are_written_in_the_shortest_form_that_reads_back() =>
        SeededProperty.Check(Gen.Double.Where(double.IsFinite), 2000, d =>
        {
            var text = RowDigest.FormatDouble(d);
            Assert.Equal(d == 0 ? 0 : d, double.Parse(text, CultureInfo.InvariantCulture));
            Assert.Equal(text, RowDigest.CanonicalNumber(d.ToString("E16", CultureInfo.InvariantCulture)));
            Assert.DoesNotContain("E", text, StringComparison.Ordinal);
        }, output);

    [Fact]
    public void Csv_fields_split_back_to_what_was_quoted() =>
        SeededProperty.Check(Gen.String[Gen.Char[(char)32, (char)0x7F], 0, 8].List[1, 6], 1000, fields =>
        {
            var record = string.Join(",", fields.Select(f => f.Contains(',') || f.Contains('"') || f.StartsWith(' ') ? "\"" + f.Replace("\"", "\"\"") + "\"" : f));
            var split = CsvFields.Split(Encoding.UTF8.GetBytes(record), (byte)',');
            Assert.NotNull(split);
            Assert.Equal(fields, split);
        }, output);

    private static string Serialize(Dictionary<string, object?> row, List<string> order, bool compact, bool alternateNumbers)
    {
        var builder = new StringBuilder("{");
        var space = compact ? "" : " ";
        for (var i = 0; i < order.Count; i++)
        {
            if (i > 0)
                builder.Append(',').Append(space);
            builder.Append(JsonSerializer.Serialize(order[i])).Append(':').Append(space);
            builder.Append(row[order[i]] switch
            {
                null => "null",
                bool b => b ? "true" : "false",
                long l => alternateNumbers ? l.ToString(CultureInfo.InvariantCulture) + ".0" : l.ToString(CultureInfo.InvariantCulture),
                double d => alternateNumbers ? d.ToString("E16", CultureInfo.InvariantCulture) : d.ToString("R", CultureInfo.InvariantCulture),
                string s => alternateNumbers ? JsonSerializer.Serialize(s) : JsonSerializer.Serialize(s, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }),
                _ => throw new InvalidOperationException(),
            });
        }

        return builder.Append('}').ToString();
    }
}
