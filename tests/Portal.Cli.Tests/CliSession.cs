namespace Portal.Cli.Tests;

/// <summary>
/// One test's CLI world: a temporary home with its own config and cache folders, passed to the in-process entry
/// point as environment overrides (the process environment is shared by tests running in parallel).
/// </summary>
public sealed class CliSession : IDisposable
{
    private readonly Dictionary<string, string?> _environment;

    public CliSession(CliApp app, string? token)
    {
        Root = Directory.CreateTempSubdirectory("portal-cli-tests-").FullName;
        _environment = new Dictionary<string, string?>
        {
            ["HOME"] = Path.Combine(Root, "home"),
            ["PORTAL_CONFIG_DIR"] = Path.Combine(Root, "home", ".config", "portal"),
            ["PORTAL_CACHE_DIR"] = Path.Combine(Root, "home", ".cache", "portal"),
            ["PORTAL_WORKDIR"] = Root,
            ["PORTAL_URL"] = token is null ? null : app.BaseUrl,
            ["PORTAL_TOKEN"] = token,
            ["PORTAL_PROJECT"] = null,
            ["PORTAL_RUN_ID"] = null,
        };
    }

    public string Root { get; }

    public string ConfigFolder => _environment["PORTAL_CONFIG_DIR"]!;

    /// <summary>This session's variables, for a CLI started as a process of its own (<see cref="CliProcess"/>).</summary>
    public IReadOnlyDictionary<string, string?> Environment => _environment;

    public CliSession With(string name, string? value)
    {
        _environment[name] = value;
        return this;
    }

    public string PathTo(string relative) => Path.Combine(Root, relative);

    public Task<CliResult> RunAsync(params string[] args) => RunAsync(CancellationToken.None, args);

    /// <summary>Runs a command that <paramref name="ct"/> can cancel, as Ctrl+C cancels the real CLI.</summary>
    public async Task<CliResult> RunAsync(CancellationToken ct, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await PortalCli.RunAsync(args, stdout, stderr, _environment, ct);
        return new CliResult(exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs a command that must succeed and returns its stdout.</summary>
    public async Task<string> OkAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.Exit == 0, $"portal {string.Join(' ', args)} exited {result.Exit}\nstdout: {result.Stdout}\nstderr: {result.Stderr}");
        return result.Stdout;
    }

    /// <summary>Writes a file under the session root (folders created) and returns its full path.</summary>
    public string Write(string relative, string content)
    {
        var path = PathTo(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public string Write(string relative, byte[] content)
    {
        var path = PathTo(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}

public sealed record CliResult(int Exit, string Stdout, string Stderr);
