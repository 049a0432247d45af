namespace Portal.Cli.Tests.Commands;

[Collection(CliCollection.Name)]
public sealed class LoginCommandTests(CliApp app)
{
    [Fact]
    public async Task Login_stores_url_and_token_readable_only_by_the_user_and_whoami_uses_them()
    {
        var user = await app.Data.CreateUserAsync("cli");
        using var cli = new CliSession(app, token: null);

        var login = await cli.OkAsync("login", "--url", app.BaseUrl, "--token", user.Token);

        Assert.Contains(user.Email, login);
        var config = Path.Combine(cli.ConfigFolder, "config.json");
        Assert.Contains(user.Token, File.ReadAllText(config));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(config));
        var whoami = await cli.OkAsync("whoami");
        Assert.StartsWith(user.Email, whoami);
    }

    [Fact]
    public async Task Environment_variables_override_the_stored_login()
    {
        var stored = await app.Data.CreateUserAsync("stored");
        var other = await app.Data.CreateUserAsync("other");
        using var cli = new CliSession(app, token: null);
        await cli.OkAsync("login", "--url", app.BaseUrl, "--token", stored.Token);

        cli.With("PORTAL_TOKEN", other.Token);

        Assert.StartsWith(other.Email, await cli.OkAsync("whoami"));
    }

    [Fact]
    public async Task Login_with_a_bad_token_fails_and_stores_nothing()
    {
        using var cli = new CliSession(app, token: null);

        var result = await cli.RunAsync("login", "--url", app.BaseUrl, "--token", "ptl_not-a-real-token");

        Assert.Equal(1, result.Exit);
        Assert.Matches(@"^error: .+ \(unauthorized\)", result.Stderr);
        Assert.False(File.Exists(Path.Combine(cli.ConfigFolder, "config.json")));
    }

    [Fact]
    public async Task Projects_create_and_ls()
    {
        var user = await app.Data.CreateUserAsync("maker");
        using var cli = new CliSession(app, user.Token);
        var slug = TestData.UniqueSlug("cli");

        Assert.Equal(slug, (await cli.OkAsync("projects", "create", slug, "--name", "From the CLI")).Trim());
        var ls = await cli.OkAsync("projects", "ls");
        Assert.Contains(slug, ls);
        Assert.Contains("From the CLI", ls);
        var json = await cli.OkAsync("projects", "ls", "--json");
        Assert.Contains($"\"slug\": \"{slug}\"", json);
    }
}
