using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Features.Access;
using Portal.Web.Infrastructure;

namespace Portal.Web.Tests.Features.Access;

public sealed class AdminCommandsTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    private async Task<(int Code, string Output, string Errors)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var code = await AdminCommands.RunAsync(app.Services, args, output, errors);
        return (code, output.ToString(), errors.ToString());
    }

    [Fact]
    public async Task Reset_password_prints_a_new_password_that_signs_in_lifts_a_lockout_and_ends_sessions()
    {
        var user = await app.Data.CreateUserAsync(siteAdmin: true);
        var (stampBefore, locked) = await app.WithServicesAsync(async s =>
        {
            var users = s.GetRequiredService<UserManager<PortalUser>>();
            var account = (await users.FindByEmailAsync(user.Email))!;
            await users.SetLockoutEnabledAsync(account, true);
            await users.SetLockoutEndDateAsync(account, DateTimeOffset.UtcNow.AddHours(1));
            return (account.SecurityStamp, await users.IsLockedOutAsync(account));
        });
        Assert.True(locked);

        var (code, output, _) = await RunAsync("reset-password", user.Email);

        Assert.Equal(0, code);
        var password = output.Split(": ", 2)[1].Split(' ')[0];
        await app.WithServicesAsync(async s =>
        {
            var users = s.GetRequiredService<UserManager<PortalUser>>();
            var account = (await users.FindByEmailAsync(user.Email))!;
            Assert.True(await users.CheckPasswordAsync(account, password));
            Assert.False(await users.CheckPasswordAsync(account, user.Password));
            Assert.False(await users.IsLockedOutAsync(account));
            Assert.NotEqual(stampBefore, account.SecurityStamp);
            return true;
        });
    }

    [Fact]
    public async Task An_unknown_address_or_a_wrong_call_says_so_and_fails()
    {
        var (unknown, _, message) = await RunAsync("reset-password", "nobody@example.invalid");
        Assert.Equal(1, unknown);
        Assert.Contains("No account has the e-mail address 'nobody@example.invalid'", message, StringComparison.Ordinal);

        var (usage, _, help) = await RunAsync("reset-password");
        Assert.Equal(2, usage);
        Assert.Contains("usage: Portal.Web reset-password <e-mail address>", help, StringComparison.Ordinal);
        Assert.False(AdminCommands.IsCommand(["--role", "worker"]));
    }
}
