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

public class CreateProjectDialogTests
{
    [Theory]
    [InlineData("Fraud model", "fraud-model")]
    [InlineData("  RAG: support -- v2!  ", "rag-support-v2")]
    [InlineData("Ünïcode naïve", "n-code-na-ve")]
    [InlineData("", "")]
    public void Names_suggest_valid_slugs(string name, string slug)
    {
        Assert.Equal(slug, Portal.Web.Features.Projects.CreateProjectDialog.SlugFor(name));
        if (slug.Length > 0)
            Assert.True(Portal.Core.Features.Projects.ProjectSlug.IsValid(slug));
    }

    [Fact]
    public void Long_names_suggest_slugs_within_the_limit()
    {
        var slug = Portal.Web.Features.Projects.CreateProjectDialog.SlugFor(new string('a', 63) + " b" + new string('c', 20));
        Assert.True(slug.Length <= 64);
        Assert.True(Portal.Core.Features.Projects.ProjectSlug.IsValid(slug));
    }
}
