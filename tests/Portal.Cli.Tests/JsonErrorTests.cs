using System.Text.Json;

namespace Portal.Cli.Tests;

/// <summary>With --json a failure is one <c>{"error":{"code","message"}}</c> object on stderr; exit codes stay the same.</summary>
[Collection(CliCollection.Name)]
public sealed class JsonErrorTests(CliApp app)
{
    [Fact]
    public async Task A_portal_error_carries_the_portals_code()
    {
        var user = await app.Data.CreateUserAsync();
        using var cli = new CliSession(app, user.Token);

        var result = await cli.RunAsync("artifact", "ls", "-p", "no-such-project-" + Guid.NewGuid().ToString("N")[..8], "--json");

        Assert.Equal(1, result.Exit);
        Assert.Empty(result.Stdout);
        var (code, message) = SingleError(result.Stderr);
        Assert.Equal(ErrorCodes.ProjectNotFound, code);
        Assert.Contains("no-such-project-", message);
    }

    [Fact]
    public async Task A_usage_error_is_invalid_argument_with_exit_2()
    {
        using var cli = new CliSession(app, "ptl_whatever");

        var result = await cli.RunAsync("artifact", "lss", "--json");

        Assert.Equal(2, result.Exit);
        var (code, message) = SingleError(result.Stderr);
        Assert.Equal(CliErrorCodes.InvalidArgument, code);
        Assert.Contains("'lss'", message);
    }

    [Fact]
    public async Task The_clis_own_failures_have_stable_codes_too()
    {
        using var cli = new CliSession(app, token: null);

        var result = await cli.RunAsync("whoami", "--json");

        Assert.Equal(1, result.Exit);
        Assert.Equal(CliErrorCodes.Unauthorized, SingleError(result.Stderr).Code);
    }

    [Fact]
    public async Task A_server_that_cannot_be_reached_is_a_network_error()
    {
        using var cli = new CliSession(app, "ptl_whatever");
        cli.With("PORTAL_URL", "http://127.0.0.1:1").With("PORTAL_RETRIES", "0");

        var result = await cli.RunAsync("artifact", "ls", "-p", "any", "--json");

        Assert.Equal(1, result.Exit);
        Assert.Equal(CliErrorCodes.Network, SingleError(result.Stderr).Code);
    }

    [Fact]
    public async Task Without_json_errors_stay_plain_text()
    {
        var user = await app.Data.CreateUserAsync();
        using var cli = new CliSession(app, user.Token);

        var result = await cli.RunAsync("artifact", "ls", "-p", "no-such-project-" + Guid.NewGuid().ToString("N")[..8]);

        Assert.Equal(1, result.Exit);
        Assert.StartsWith("error: ", result.Stderr);
    }

    private static (string Code, string Message) SingleError(string stderr)
    {
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var document = JsonDocument.Parse(line);
        var error = document.RootElement.GetProperty("error");
        Assert.Single(document.RootElement.EnumerateObject());
        return (error.GetProperty("code").GetString()!, error.GetProperty("message").GetString()!);
    }
}
