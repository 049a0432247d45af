using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Web.Infrastructure;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>Every start prints the address and how to sign in, not only the first one.</summary>
public sealed class PortalStartupTests
{
    [Fact]
    public void The_first_start_shows_the_generated_passwords_once()
    {
        var lines = PortalStartup.ReadyBanner("http://localhost:5080", new BootstrapResult(true, "admin@portal.local", "s3cret-Pass"), demoEnabled: true,
            [new DemoLogin("reviewer@portal.local", "Reviewer", "rev-Pass1")]);

        Assert.Contains("Portal is ready: http://localhost:5080", lines);
        Assert.Contains(lines, l => l.Contains("admin@portal.local with password s3cret-Pass", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Demo reviewer: reviewer@portal.local / rev-Pass1", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("reset-password", StringComparison.Ordinal));
    }

    [Fact]
    public void A_restart_still_prints_the_address_the_admin_and_how_to_get_a_new_password()
    {
        var lines = PortalStartup.ReadyBanner("http://localhost:5080", new BootstrapResult(false, "ops@example.com", null), demoEnabled: true, []);

        Assert.Contains("Portal is ready: http://localhost:5080", lines);
        Assert.Contains(lines, l => l.Contains("Sign in as ops@example.com (site admin)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("reset-password ops@example.com", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("reviewer@portal.local", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("with password", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_demo_data_no_demo_users_are_named()
    {
        var lines = PortalStartup.ReadyBanner("https://portal.example.com", new BootstrapResult(false, "ops@example.com", null), demoEnabled: false, []);

        Assert.DoesNotContain(lines, l => l.Contains("Demo", StringComparison.Ordinal));
    }
}
