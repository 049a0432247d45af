using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Portal.Web.Components.Shared;

namespace Portal.Web.Tests.Components;

public sealed class SharedComponentsTests : BunitContext, IAsyncLifetime
{
    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    public SharedComponentsTests()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    [Fact]
    public void Empty_state_shows_title_text_and_actions()
    {
        var cut = Render<EmptyState>(p => p
            .Add(x => x.Title, "No projects yet")
            .Add(x => x.Text, "Create one")
            .AddChildContent("<button id=\"act\">Go</button>"));
        Assert.Contains("No projects yet", cut.Markup, StringComparison.Ordinal);
        Assert.Contains("Create one", cut.Markup, StringComparison.Ordinal);
        Assert.NotNull(cut.Find("#act"));
    }

    [Fact]
    public void User_text_in_an_empty_state_is_encoded_not_rendered_as_html()
    {
        var cut = Render<EmptyState>(p => p.Add(x => x.Title, "<script>alert(1)</script>"));
        Assert.DoesNotContain("<script>", cut.Markup, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", cut.Markup, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Admin", "primary")]
    [InlineData("Reviewer", "secondary")]
    [InlineData("Contributor", "success")]
    public void Role_chips_are_coloured_by_role(string role, string colourClass)
    {
        var cut = Render<RoleChip>(p => p.Add(x => x.Role, role));
        Assert.Contains(role, cut.Markup, StringComparison.Ordinal);
        Assert.Contains(colourClass, cut.Markup, StringComparison.Ordinal);
    }
}
