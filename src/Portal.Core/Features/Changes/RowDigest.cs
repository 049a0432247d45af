using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Portal.Core.Features.Changes;

/// <summary>
/// The stable digest of one row: lower-case hex SHA-256 of the row's canonical JSON (UTF-8). The same content gives the
/// same digest in every version and every file, whatever the spacing, member order or number spelling of the source,
/// so an index can store it beside each vector and skip rows it already embedded. The canonical form
/// (docs/change-feed.md): no insignificant white space; object members sorted by name (ordinal UTF-16, as RFC 8785);
/// strings escaped only where JSON requires (<c>"</c>, <c>\</c>, control characters as <c>\b \f \n \r \t</c> or
/// <c>\u00xx</c>), everything else as UTF-8; integer literals kept digit for digit (<c>-0</c> becomes <c>0</c>), other
/// numbers as the shortest decimal that reads back as the same double, in ECMAScript's form (<c>1.0</c> → <c>1</c>,
/// <c>1E2</c> → <c>100</c>, <c>1e-7</c> → <c>1e-7</c>); a row whose object repeats a member name is malformed.
/// A CSV/TSV row is the object of its header names to the field texts; a Parquet row the object of its column names
/// to typed values (see <see cref="ParquetRows"/>).
/// </summary>
public static class RowDigest
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 256, CommentHandling = JsonCommentHandling.Disallow };

    /// <summary>Lower-case hex SHA-256 of canonical JSON bytes.</summary>
    public static string Of(ReadOnlySpan<byte> canonical) => Convert.ToHexStringLower(SHA256.HashData(canonical));

    /// <summary>Canonical JSON of one JSON text; throws <see cref="JsonException"/> when it is not valid JSON or repeats a member name.</summary>
    public static byte[] Canonicalize(ReadOnlyMemory<byte> json)
    {
        using var document = JsonDocument.Parse(json, Options);
        var buffer = new ArrayBufferWriter<byte>(json.Length + 16);
        Write(document.RootElement, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Canonical JSON of a parsed value.</summary>
    public static void Write(JsonElement value, IBufferWriter<byte> output)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                var members = new List<JsonProperty>();
                foreach (var member in value.EnumerateObject())
                    members.Add(member);
                members.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
                for (var i = 1; i < members.Count; i++)
                {
                    if (string.Equals(members[i - 1].Name, members[i].Name, StringComparison.Ordinal))
                        throw new JsonException($"The member \"{members[i].Name}\" appears twice in one object.");
                }

                Put(output, "{"u8);
                for (var i = 0; i < members.Count; i++)
                {
                    if (i > 0)
                        Put(output, ","u8);
                    WriteString(members[i].Name, output);
                    Put(output, ":"u8);
                    Write(members[i].Value, output);
                }

                Put(output, "}"u8);
                break;
            case JsonValueKind.Array:
                Put(output, "["u8);
                var first = true;
                foreach (var item in value.EnumerateArray())
                {
                    if (!first)
                        Put(output, ","u8);
                    first = false;
                    Write(item, output);
                }

                Put(output, "]"u8);
                break;
            case JsonValueKind.String:
                WriteString(value.GetString()!, output);
                break;
            case JsonValueKind.Number:
                WriteNumber(value.GetRawText(), output);
                break;
            case JsonValueKind.True:
                Put(output, "true"u8);
                break;
            case JsonValueKind.False:
                Put(output, "false"u8);
                break;
            default:
                Put(output, "null"u8);
                break;
        }
    }

    public static void WriteString(string text, IBufferWriter<byte> output)
    {
        var builder = new StringBuilder(text.Length + 2);
        builder.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (c < 0x20)
                        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else
                        builder.Append(c);
                    break;
            }
        }

        builder.Append('"');
        Put(output, Encoding.UTF8.GetBytes(builder.ToString()));
    }

    /// <summary>A JSON number literal in canonical form: integer literals as they are, others through the double they denote.</summary>
    public static void WriteNumber(string literal, IBufferWriter<byte> output) => Put(output, Encoding.ASCII.GetBytes(CanonicalNumber(literal)));

    public static string CanonicalNumber(string literal)
    {
        if (IsIntegerLiteral(literal))
            return literal == "-0" ? "0" : literal;
        var value = double.Parse(literal, NumberStyles.Float, CultureInfo.InvariantCulture);
        return FormatDouble(value);
    }

    /// <summary>ECMAScript's Number::toString of a finite double (RFC 8785 §3.2.2.3); NaN and infinities are written as strings by callers.</summary>
    public static string FormatDouble(double value)
    {
        if (value == 0)
            return "0";
        if (!double.IsFinite(value))
            throw new ArgumentOutOfRangeException(nameof(value), "NaN and infinities have no JSON number form.");
        var negative = value < 0;
        // "E16" style gives the exponent; "R" gives the shortest round-trip digits.
        var shortest = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        string digits;
        int exponent;
        var e = shortest.IndexOfAny(['E', 'e']);
        var mantissa = e < 0 ? shortest : shortest[..e];
        var exp10 = e < 0 ? 0 : int.Parse(shortest[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var point = mantissa.IndexOf('.');
        var intPart = point < 0 ? mantissa : mantissa[..point];
        var fracPart = point < 0 ? "" : mantissa[(point + 1)..];
        digits = (intPart + fracPart).TrimStart('0');
        var leadingZeros = (intPart + fracPart).Length - digits.Length;
        // value = 0.digits × 10^n, i.e. n is the position of the decimal point relative to the first digit.
        exponent = intPart.Length - leadingZeros + exp10;
        digits = digits.TrimEnd('0');
        var k = digits.Length;
        var n = exponent;
        string text;
        if (k <= n && n <= 21)
            text = digits + new string('0', n - k);
        else if (0 < n && n <= 21)
            text = digits[..n] + "." + digits[n..];
        else if (-6 < n && n <= 0)
            text = "0." + new string('0', -n) + digits;
        else
        {
            var exp = n - 1;
            var sign = exp < 0 ? "-" : "+";
            text = (k == 1 ? digits : digits[..1] + "." + digits[1..]) + "e" + sign + Math.Abs(exp).ToString(CultureInfo.InvariantCulture);
        }

        return negative ? "-" + text : text;
    }

    private static bool IsIntegerLiteral(string literal)
    {
        var span = literal.AsSpan();
        if (span.Length > 0 && span[0] == '-')
            span = span[1..];
        if (span.IsEmpty)
            return false;
        foreach (var c in span)
        {
            if (c is < '0' or > '9')
                return false;
        }

        return true;
    }

    private static void Put(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }
}
