using System.Text;
using Portal.Core.Features.Artifacts.Manifests;
using Xunit;

namespace Portal.Core.Tests.Features.Artifacts.Manifests;

public class Utf8PathComparerTests
{
    private static readonly Utf8PathComparer Comparer = Utf8PathComparer.Instance;

    [Fact]
    public void Supplementary_characters_sort_after_U_E000_to_U_FFFF_unlike_CompareOrdinal()
    {
        const string privateUse = "a/\uE000";       // UTF-8 EE 80 80
        const string replacement = "a/\uFFFD";      // UTF-8 EF BF BD
        const string emoji = "a/\U0001F600";        // UTF-8 F0 9F 98 80, UTF-16 D83D DE00

        // UTF-16 order: the surrogate D83D is below E000.
        Assert.True(string.CompareOrdinal(emoji, privateUse) < 0);
        // Byte (code-point) order: the emoji is above both.
        Assert.True(Comparer.Compare(privateUse, emoji) < 0);
        Assert.True(Comparer.Compare(replacement, emoji) < 0);
        Assert.True(Comparer.Compare(emoji, privateUse) > 0);
        Assert.True(Encoding.UTF8.GetBytes(privateUse).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(emoji)) < 0);
    }

    [Theory]
    [InlineData("a", "b", -1)]
    [InlineData("a", "a", 0)]
    [InlineData("a", "a/b", -1)]
    [InlineData("a/b", "a-b", 1)]
    [InlineData("a/b", "a.b", 1)]
    [InlineData("B", "a", -1)]
    [InlineData("z", "\u00E9", -1)]
    [InlineData("\U0001F600", "\U0001F601", -1)]
    [InlineData("\U00010000", "\uFFFF", 1)]
    [InlineData("", "a", -1)]
    public void Orders_by_code_point(string x, string y, int expectedSign)
    {
        Assert.Equal(expectedSign, Math.Sign(Comparer.Compare(x, y)));
        Assert.Equal(-expectedSign, Math.Sign(Comparer.Compare(y, x)));
    }

    [Fact]
    public void Agrees_with_utf8_byte_comparison_on_random_strings()
    {
        // Characters chosen around every UTF-8 length and the surrogate/private-use boundary.
        string[] alphabet = ["a", "b", "/", ".", "\u007E", "\u00E9", "\u07FF", "\u0800", "\uD7FF", "\uE000", "\uFFFD", "\uFFFF", "\U00010000", "\U0001F600", "\U0010FFFF"];
        var random = new Random(20240601);
        string Next() => string.Concat(Enumerable.Range(0, random.Next(0, 6)).Select(_ => alphabet[random.Next(alphabet.Length)]));

        for (var i = 0; i < 20_000; i++)
        {
            var x = Next();
            var y = Next();
            var expected = Math.Sign(Encoding.UTF8.GetBytes(x).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(y)));
            Assert.True(expected == Math.Sign(Comparer.Compare(x, y)), $"{Escape(x)} vs {Escape(y)}");
        }
    }

    [Fact]
    public void Nulls_sort_first()
    {
        Assert.Equal(0, Comparer.Compare(null, null));
        Assert.True(Comparer.Compare(null, "") < 0);
        Assert.True(Comparer.Compare("", null) > 0);
    }

    private static string Escape(string s) => string.Concat(s.Select(c => $"\\u{(int)c:X4}"));
}
