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
        Assert.Contains("Did you mean 'ls'?", message);
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
    public async Task Files_a_get_could_not_write_are_one_error_object_next_to_the_result()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var cli = new CliSession(app, team.Contributor.Token);
        cli.Write("data/good.txt", "good bytes\n");
        // Unique bytes: the store is shared by every test, and this blob is about to be damaged.
        var content = $"will be corrupted {Guid.NewGuid()}\n";
        cli.Write("data/bad.txt", content);
        await cli.OkAsync("artifact", "put", cli.PathTo("data"), "-p", team.Slug, "-n", "ds", "-t", "dataset");
        await app.CorruptBlobAsync(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(content))));
        cli.With("PORTAL_RETRIES", "0");

        var result = await cli.RunAsync("artifact", "get", "ds", "-p", team.Slug, "-o", cli.PathTo("out"), "--no-cache", "--json");

        Assert.Equal(1, result.Exit);
        using var summary = JsonDocument.Parse(result.Stdout);
        Assert.Equal(1, summary.RootElement.GetProperty("failed").GetInt32());
        var (code, message) = SingleError(result.Stderr);
        Assert.Equal(CliErrorCodes.DownloadFailed, code);
        Assert.Contains("bad.txt", message);
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
