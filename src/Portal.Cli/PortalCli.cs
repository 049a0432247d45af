using System.CommandLine;
using Portal.Cli.Commands;
using Portal.Client;

namespace Portal.Cli;

/// <summary>The <c>portal</c> command line, callable in-process (tests) as well as from <c>Main</c>.</summary>
public static class PortalCli
{
    public const int ExitSuccess = 0;
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;
    public const int ExitCancelled = 130;

    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct) =>
        RunAsync(args, stdout, stderr, environment: null, ct);

    /// <param name="environment">Variables that override the process environment for this invocation only.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?>? environment, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var isTerminal = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected;
        var cli = new CliContext(stdout, stderr, environment, isTerminal);
        var root = BuildRootCommand(cli);
        // Response files are off: "@file.json" is how --meta and --config take a JSON file, not a list of arguments.
        var parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
                stderr.WriteLine($"error: {error.Message}");
            stderr.WriteLine("Run 'portal --help' (or the command with --help) for usage.");
            return ExitUsage;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false }, ct);
        }
        catch (PortalApiException ex)
        {
            stderr.WriteLine($"error: {ex.Detail} ({ex.Code})");
            return ExitFailure;
        }
        catch (CliException ex)
        {
            stderr.WriteLine($"error: {ex.Message}");
            return ex.ExitCode;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            stderr.WriteLine("cancelled");
            return ExitCancelled;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: {ex.Message}");
            return ExitFailure;
        }
    }

    public static RootCommand BuildRootCommand(CliContext cli)
    {
        var root = new RootCommand("portal: log runs and artifact versions to the Portal, fetch and diff them.")
        {
            LoginCommand.Create(cli),
            WhoamiCommand.Create(cli),
            ProjectsCommand.Create(cli),
            RunCommand.Create(cli),
            ArtifactCommand.Create(cli),
            PromotionCommand.Create(cli),
            AuditCommand.Create(cli),
        };
        return root;
    }
}
