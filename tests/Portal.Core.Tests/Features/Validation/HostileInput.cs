using System.IO.Compression;
using System.Text;
using CsCheck;

namespace Portal.Core.Tests.Features.Validation;

/// <summary>
/// Generators of the text and bytes real files bring to a validator: random Unicode (lone surrogates and NULs included),
/// random binary, joins of the pieces the scanners look for, long runs of digits and punctuation, CR-only and mixed line
/// endings, byte order marks, invalid UTF-8, very wide CSV rows, unbalanced quotes and deeply nested JSON.
/// </summary>
internal static class HostileInput
{
    /// <summary>Pieces near what the detectors and parsers look for, so random joins reach their edges.</summary>
    private static readonly string[] Fragments =
    [
        "SG.", "AKIA", "ASIA", "ghp_", "github_pat_", "glpat-", "xoxb-", "sk-", "sk_live_", "AIza", "hf_", "AccountKey=", "-----BEGIN ",
        "RSA PRIVATE KEY", "-----", "@", "@@", ".", "..", "...", "-", "--", "+", "++", "(", ")", ":", "::", "_", "/", "#", "%",
        "DE89", "GB29", "NWBK", "FR14", "0", "00", "1", "9", "12", "255", "256", "999", "2026", "1999", "4111", "1111", "415", "555",
        "0132", "020", "7946", "0958", "+44", "+1", "ISBN", " ", "  ", "\t", "\r", "\n", "\r\n", "\n\r", "\uFEFF", "\0", "\uD800",
        "\uDC00", "\uD83D\uDE00", "é", "ß", "١٢٣", "０１２", "\u00A0", "\u2028", "\"", "\"\"", ",", "{", "}", "[", "]", "\\", "\\u",
        "\\ud800", "\\\"", "e", "E", "a", "Z", "x", "com", "example", "null", "true", "1e999", "-0", "text", "label",
    ];

    /// <summary>Units repeated into long lines: digit and punctuation runs, repeated key prefixes, unclosed brackets.</summary>
    private static readonly string[] RunUnits =
    [
        "1", "0", "9", ".", "1.", "10.", "..", "-", "1-", "12-", " ", "1 ", "12 ", "+1 ", "(", "()", ")", ":", "1:", "::", "a:", "@", "a@",
        "@a.", "a.", "sk-", "SG.", "ghp_", "-----BEGIN ", "AKIA", "\"", "\"\"", ",", ",\"", "\\", "{", "[", "\uD800", "\uFEFF", "\0",
        "\r", "0123456789", "4111 ", "DE89 ", "+44 20 7946 0958 ",
    ];

    public static readonly Gen<char> AnyChar = Gen.Char['\0', '\uffff'];

    private static readonly Gen<string> Fragment = Gen.OneOf(Fragments);

    /// <summary>A line of up to a few thousand characters.</summary>
    public static readonly Gen<string> Text = HostileInput.Mix(
        (3, Gen.String[AnyChar, 0, 300]),
        (5, Fragment.Array[0, 80].Select(string.Concat)),
        (3, Gen.String[Gen.Char["0123456789 .-+():@/"], 0, 120]),
        (1, Gen.String[Gen.Char[' ', '~'], 0, 300]),
        (1, Gen.OneOf(RunUnits).Select(Gen.Int[1, 2000], Repeat)));

    /// <summary>Long lines (up to about 200,000 characters) made of one repeated unit, or of units and fragments.</summary>
    public static readonly Gen<string> LongLine = HostileInput.Mix(
        (3, Gen.OneOf(RunUnits).Select(Gen.Int[1000, 100_000], Repeat)),
        (1, Fragment.Array[500, 5000].Select(string.Concat)));

    private static readonly byte[][] ByteFragments =
    [
        [0xEF, 0xBB, 0xBF], [0xFF, 0xFE], [0xFE, 0xFF], [0x00], [0x0D], [0x0A], [0x0D, 0x0A], [0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80],
        [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80], [0x22], [0x2C], [0x09], [0x7B], [0x7D], [0x5C],
    ];

    private static readonly Gen<byte[]> BytePiece = HostileInput.Mix(
        (4, Text.Select(t => Encoding.UTF8.GetBytes(t))),
        (2, Gen.OneOf(ByteFragments)),
        (1, Gen.Byte.Array[0, 64]));

    /// <summary>The content of a file: text lines with any line endings, binary, or both; up to a few tens of KiB.</summary>
    public static readonly Gen<byte[]> FileBytes = HostileInput.Mix(
        (5, BytePiece.Array[0, 60].Select(Concat)),
        (1, Gen.Byte.Array[0, 8192]),
        (2, JsonLine.Array[0, 30].Select(lines => Encoding.UTF8.GetBytes(string.Join("\n", lines)))),
        (2, CsvLine.Array[0, 30].Select(Gen.OneOf("\n", "\r\n", "\r"), (lines, end) => Encoding.UTF8.GetBytes(string.Join(end, lines)))));

    /// <summary>JSON lines: objects with hostile values, broken objects, deep nesting.</summary>
    public static Gen<string> JsonLine => HostileInput.Mix(
        (4, Text.Select(Text, (text, label) => $"{{\"id\":1,\"text\":\"{text}\",\"label\":\"{label}\"}}")),
        (2, Text.Select(text => System.Text.Json.JsonSerializer.Serialize(new { text, label = text }))),
        (1, Gen.Int[1, 3000].Select(depth => Repeat("[", depth) + Repeat("]", depth))),
        (1, Gen.Int[1, 3000].Select(depth => "{\"text\":" + Repeat("{\"a\":", depth) + "1" + Repeat("}", depth) + "}")),
        (1, Gen.Int[1, 3000].Select(depth => Repeat("{\"a\":[", depth))),
        (1, Text));

    /// <summary>CSV lines: wide rows, unbalanced and doubled quotes, hostile cells.</summary>
    public static Gen<string> CsvLine => HostileInput.Mix(
        (4, Text.Array[0, 8].Select(cells => string.Join(",", cells))),
        (2, Text.Array[0, 8].Select(cells => string.Join(",", cells.Select(c => "\"" + c + "\"")))),
        (1, Gen.Int[1, 50_000].Select(n => Repeat(",", n))),
        (1, Gen.Int[1, 2000].Select(n => Repeat("\"a\",", n))),
        (1, Gen.OneOf("\"", "\"\"\"", "a,\"b", "\"a\"b\",c", "text,label", "id\ttext\tlabel")));

    /// <summary>A weighted choice among generators (<c>Gen.Frequency</c> with the generator overload chosen).</summary>
    public static Gen<T> Mix<T>(params (int Weight, Gen<T> Gen)[] gens) => Gen.Frequency(gens.Select(g => (g.Weight, (IGen<T>)g.Gen)).ToArray());

    private static string Repeat(string unit, int count) => new StringBuilder(unit.Length * count).Insert(0, unit, count).ToString();

    private static byte[] Concat(byte[][] pieces) => pieces.SelectMany(p => p).ToArray();

    public static byte[] Gzip(byte[] content)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(content);
        return buffer.ToArray();
    }
}
