using System.Text.Json;
using Portal.Client;

namespace Portal.Cli;

/// <summary>
/// One invocation's world: its output writers, its environment (process variables overlaid with the ones a caller
/// passes in, so in-process tests never touch the shared process environment), and the config and cache folders.
/// </summary>
public sealed class CliContext
{
    private readonly IReadOnlyDictionary<string, string?> _environment;

    public CliContext(TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?>? environment, bool isTerminal, CliSignals? signals = null)
    {
        Stdout = stdout;
        Stderr = stderr;
        _environment = environment ?? new Dictionary<string, string?>();
        IsTerminal = isTerminal;
        Signals = signals;
    }

    /// <summary>The process's SIGINT/SIGTERM handling when the CLI runs as its own process; null in-process.</summary>
    public CliSignals? Signals { get; }

    public TextWriter Stdout { get; }

    public TextWriter Stderr { get; }

    /// <summary>Progress bars and colours only for a person at a terminal; scripts and logs get plain lines.</summary>
    public bool IsTerminal { get; }

    /// <summary>Retries of idempotent calls; lowered by tests that expect the server to be down.</summary>
    public int MaxRetries => int.TryParse(Variable("PORTAL_RETRIES"), out var retries) && retries >= 0 ? retries : 3;

    /// <summary>The variables given for this invocation only; passed on to commands that <c>run exec</c> starts.</summary>
    public IEnumerable<KeyValuePair<string, string?>> Overrides => _environment;

    public string? Variable(string name) =>
        _environment.TryGetValue(name, out var value) ? value : Environment.GetEnvironmentVariable(name);

    /// <summary><c>PORTAL_CONFIG_DIR</c>, else <c>$XDG_CONFIG_HOME/portal</c>, else <c>~/.config/portal</c>.</summary>
    public string ConfigFolder =>
        NonEmpty(Variable("PORTAL_CONFIG_DIR"))
        ?? Path.Combine(NonEmpty(Variable("XDG_CONFIG_HOME")) ?? Path.Combine(Home, ".config"), "portal");

    /// <summary><c>PORTAL_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/portal</c>, else <c>~/.cache/portal</c>.</summary>
    public string CacheFolder =>
        NonEmpty(Variable("PORTAL_CACHE_DIR"))
        ?? Path.Combine(NonEmpty(Variable("XDG_CACHE_HOME")) ?? Path.Combine(Home, ".cache"), "portal");

    private string Home => NonEmpty(Variable("HOME")) ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    public string WorkingDirectory => NonEmpty(Variable("PORTAL_WORKDIR")) ?? Environment.CurrentDirectory;

    /// <summary>The server and token: <c>PORTAL_URL</c>/<c>PORTAL_TOKEN</c> override what <c>portal login</c> stored.</summary>
    public (Uri Url, string Token) Credentials()
    {
        var config = CliConfig.Load(ConfigFolder);
        var url = NonEmpty(Variable("PORTAL_URL")) ?? config.Url;
        var token = NonEmpty(Variable("PORTAL_TOKEN")) ?? config.Token;
        if (url is null || token is null)
            throw new CliException("not logged in: run 'portal login --url <server> --token <token>', or set PORTAL_URL and PORTAL_TOKEN.",
                PortalCli.ExitFailure, CliErrorCodes.Unauthorized);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new CliException($"the portal address \"{url}\" is not an http(s) URL.");
        return (uri, token);
    }

    public PortalClient CreateClient()
    {
        var (url, token) = Credentials();
        // Inside 'portal run exec' every version this invocation downloads is an input of the run; read through this
        // invocation's variables, which may differ from the process's.
        var (run, project) = PortalClient.AmbientRun(Variable);
        return new PortalClient(url, token) { MaxRetries = MaxRetries, RunId = run, RunProject = project };
    }

    /// <summary>The project from <c>-p</c>, else <c>PORTAL_PROJECT</c> (set by <c>portal run exec</c> for its command), else the login default.</summary>
    public string Project(string? option) =>
        NonEmpty(option) ?? NonEmpty(Variable("PORTAL_PROJECT")) ?? CliConfig.Load(ConfigFolder).Project
        ?? throw CliException.Usage("no project: pass -p/--project <slug> or set PORTAL_PROJECT.");

    /// <summary>The run from <c>--run</c>, else <c>PORTAL_RUN_ID</c> (set by <c>portal run exec</c>).</summary>
    public Guid? Run(string? option)
    {
        var value = NonEmpty(option) ?? NonEmpty(Variable("PORTAL_RUN_ID"));
        if (value is null)
            return null;
        return Guid.TryParse(value, out var id) ? id : throw CliException.Usage($"\"{value}\" is not a run id.");
    }

    public void WriteJson<T>(T value) => Stdout.WriteLine(JsonSerializer.Serialize(value, CliJson.Options));

    /// <summary>Set when the command line asked for <c>--json</c>: errors are then JSON too.</summary>
    public bool JsonErrors { get; internal set; }

    /// <summary>
    /// A failure, as "error: …" lines (<paramref name="lines"/>), or under <c>--json</c> as the one
    /// <c>{"error":{"code","message"}}</c> object on stderr that scripts parse.
    /// </summary>
    public void WriteError(string code, string message, IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        if (JsonErrors)
        {
            Stderr.WriteLine(JsonSerializer.Serialize(new { error = new { code, message } }));
            return;
        }

        foreach (var line in lines)
            Stderr.WriteLine(line);
    }

    /// <summary>Messages about what happened go to stderr, so stdout stays the result a script reads.</summary>
    public void Info(string message) => Stderr.WriteLine(message);

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
