using Portal.Client;
using Portal.Core.Features.Artifacts.Manifests;
using Xunit;

namespace Portal.Core.Tests.Features.Artifacts.Manifests;

public class ManifestPathTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("a/b.txt")]
    [InlineData("docs/file-00000.txt")]
    [InlineData(".hidden/.config")]
    [InlineData("a/.../b")]
    [InlineData("a/..b/c.")]
    [InlineData("with space/and\u00A0nbsp")]
    [InlineData("caf\u00E9/na\u00EFve.txt")]
    [InlineData("日本語/ファイル.txt")]
    [InlineData("emoji/\U0001F600.png")]
    [InlineData("private/\uE000")]
    [InlineData("near-noncharacters/\uFDCF\uFDF0\uFFFD\U0001FFFD")]
    public void Valid_paths_pass(string path)
    {
        Assert.True(ManifestPath.IsValid(path));
        ManifestPath.Validate(path);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("../x", "dot_segment")]
    [InlineData("a/../x", "dot_segment")]
    [InlineData("..", "dot_segment")]
    [InlineData("./a", "dot_segment")]
    [InlineData("a/./b", "dot_segment")]
    [InlineData("a/.", "dot_segment")]
    [InlineData("/etc/passwd", "absolute")]
    [InlineData("/", "absolute")]
    [InlineData("a//b", "empty_segment")]
    [InlineData("a/", "empty_segment")]
    [InlineData("a\\b", "backslash")]
    [InlineData("C:\\x", "backslash")]
    [InlineData("a\0b", "control_character")]
    [InlineData("a\tb", "control_character")]
    [InlineData("a\nb", "control_character")]
    [InlineData("a\u001Fb", "control_character")]
    [InlineData("a\u007Fb", "control_character")]
    [InlineData("a\u0085b", "control_character")]
    [InlineData("a\u009Fb", "control_character")]
    [InlineData("invoice\u202Etxt.exe", "bidi_control")]
    [InlineData("a\u2066b\u2069", "bidi_control")]
    [InlineData("rtl\u200Fmark", "bidi_control")]
    [InlineData("arabic\u061Cmark", "bidi_control")]
    [InlineData("zero\u200Bwidth", "zero_width")]
    [InlineData("join\u200Der", "zero_width")]
    [InlineData("non\u200Cjoiner", "zero_width")]
    [InlineData("\uFEFFbom.txt", "zero_width")]
    [InlineData("word\u2060joiner", "zero_width")]
    [InlineData("cafe\u0301", "not_nfc")]
    [InlineData("\u212B", "not_nfc")]
    [InlineData("a\uFFFE", "invalid_unicode")]
    [InlineData("a\uFFFF", "invalid_unicode")]
    [InlineData("a\uFDD0", "invalid_unicode")]
    [InlineData("a\U0001FFFE", "invalid_unicode")]
    [InlineData("a\U0010FFFF", "invalid_unicode")]
    public void Invalid_paths_are_400_path_invalid_with_the_rule_and_path(string path, string rule)
    {
        Assert.False(ManifestPath.IsValid(path));

        var error = Assert.Throws<PortalException>(() => ManifestPath.Validate(path));

        Assert.Equal(400, error.Status);
        Assert.Equal(ErrorCodes.PathInvalid, error.Code);
        Assert.Equal(path, error.Extensions["path"]);
        Assert.Equal(rule, error.Extensions["rule"]);
        Assert.Contains(ManifestPath.Display(path), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unpaired_surrogates_are_invalid_unicode()
    {
        // Built in code: xunit's theory data would replace lone surrogates with U+FFFD on the way in.
        foreach (var path in new[] { "a" + '\uD800' + "b", "a" + '\uDC00', '\uDE00' + "x", "x" + '\uD83D' })
        {
            var error = Assert.Throws<PortalException>(() => ManifestPath.Validate(path));
            Assert.Equal("invalid_unicode", error.Extensions["rule"]);
            Assert.Contains("\\u", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Messages_make_control_characters_visible_and_say_what_is_wrong()
    {
        var error = Assert.Throws<PortalException>(() => ManifestPath.Validate("data/a\0b.txt"));
        Assert.Equal("Path \"data/a\\u0000b.txt\" is invalid: it contains the control character U+0000 at position 6.", error.Message);

        error = Assert.Throws<PortalException>(() => ManifestPath.Validate("../x"));
        Assert.Equal("Path \"../x\" is invalid: it contains a '..' segment.", error.Message);

        error = Assert.Throws<PortalException>(() => ManifestPath.Validate("a\\b"));
        Assert.Contains("\"a\\\\b\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("'\\'", error.Message, StringComparison.Ordinal);

        error = Assert.Throws<PortalException>(() => ManifestPath.Validate("cafe\u0301"));
        Assert.Contains("NFC", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Length_limit_is_1024_utf8_bytes()
    {
        var ascii1024 = new string('a', 1024);
        var ascii1025 = new string('a', 1025);
        // 341 three-byte characters + 1 = 1,024 bytes but only 342 UTF-16 chars: the limit is on bytes.
        var multiByte1024 = new string('日', 341) + "a";
        var multiByte1026 = new string('日', 342);

        ManifestPath.Validate(ascii1024);
        ManifestPath.Validate(multiByte1024);
        var error = Assert.Throws<PortalException>(() => ManifestPath.Validate(ascii1025));
        Assert.Equal("too_long", error.Extensions["rule"]);
        Assert.Contains("1,025 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("…", error.Message, StringComparison.Ordinal);
        Assert.Equal(ascii1025, error.Extensions["path"]);
        Assert.Equal("too_long", Assert.Throws<PortalException>(() => ManifestPath.Validate(multiByte1026)).Extensions["rule"]);
    }

    [Fact]
    public void Arbitrary_strings_only_ever_fail_with_path_invalid()
    {
        // Noncharacters, unassigned code points, lone surrogates and combining marks must not reach an unexpected
        // exception (which the API would turn into a 500).
        char[] alphabet = ['a', '/', '.', '\\', '\0', '\u0085', '\u0301', '\u0378', '\uD800', '\uDC00', '\uFDD0', '\uFFFE', '\uFFFF', '\u00C5', '\u212B', ' '];
        var random = new Random(7);
        for (var i = 0; i < 20_000; i++)
        {
            var path = new string(Enumerable.Range(0, random.Next(0, 8)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
            try
            {
                ManifestPath.Validate(path);
                Assert.True(ManifestPath.IsValid(path));
            }
            catch (PortalException error)
            {
                Assert.Equal(ErrorCodes.PathInvalid, error.Code);
                Assert.False(ManifestPath.IsValid(path));
            }
        }
    }

    [Fact]
    public void Null_is_rejected()
    {
        Assert.False(ManifestPath.IsValid(null));
        Assert.Equal("empty", Assert.Throws<PortalException>(() => ManifestPath.Validate(null)).Extensions["rule"]);
    }
}
