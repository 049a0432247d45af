using Portal.Web.Components.Account;

namespace Portal.Web.Tests.Components;

public class LoginTests
{
    [Theory]
    [InlineData("/projects/rag", "/projects/rag")]
    [InlineData(null, "/projects")]
    [InlineData("", "/projects")]
    [InlineData("https://evil.example/", "/projects")]
    [InlineData("//evil.example/", "/projects")]
    [InlineData("/\\evil.example", "/projects")]
    public void Only_local_return_urls_are_followed(string? returnUrl, string expected) =>
        Assert.Equal(expected, Login.SafeReturnUrl(returnUrl));
}
