using Portal.Core.Text;

namespace Portal.Core.Tests.Text;

public class MarkdownRendererTests
{
    [Fact]
    public void Markdown_renders_to_html()
    {
        var html = MarkdownRenderer.ToSafeHtml("# Title\n\nSome **bold** text, a `code` span and a table:\n\n| a | b |\n|---|---|\n| 1 | 2 |");
        Assert.Contains("<h1", html, StringComparison.Ordinal);
        Assert.Contains("<strong>bold</strong>", html, StringComparison.Ordinal);
        Assert.Contains("<code>code</code>", html, StringComparison.Ordinal);
        Assert.Contains("<table>", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<script>alert(1)</script>", "<script")]
    [InlineData("<img src=\"x.png\" onerror=\"alert(1)\">", "onerror")]
    [InlineData("<a href=\"https://example.com\" onmouseover=\"alert(1)\">x</a>", "onmouseover")]
    [InlineData("[x](javascript:alert(1))", "javascript:")]
    [InlineData("<a href=\"JaVaScRiPt:alert(1)\">x</a>", "alert(1)")]
    [InlineData("<iframe src=\"https://evil.example\"></iframe>", "<iframe")]
    [InlineData("<div style=\"position:fixed;inset:0\">overlay</div>", "position")]
    [InlineData("<form action=\"https://evil.example\"><input name=\"p\"></form>", "<form")]
    [InlineData("<svg><script>alert(1)</script></svg>", "<script")]
    public void Scripts_handlers_and_dangerous_markup_are_stripped(string markdown, string forbidden) =>
        Assert.DoesNotContain(forbidden, MarkdownRenderer.ToSafeHtml(markdown), StringComparison.OrdinalIgnoreCase);

    [Fact]
    public void Links_keep_their_target_and_do_not_hand_over_the_opener()
    {
        var html = MarkdownRenderer.ToSafeHtml("[docs](https://example.com/docs)");
        Assert.Contains("href=\"https://example.com/docs\"", html, StringComparison.Ordinal);
        Assert.Contains("rel=\"noopener noreferrer nofollow\"", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  \n ")]
    public void Nothing_renders_to_nothing(string? markdown) => Assert.Equal("", MarkdownRenderer.ToSafeHtml(markdown));
}
