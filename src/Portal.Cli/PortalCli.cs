using System.CommandLine;
using System.CommandLine.Invocation;
using Portal.Cli.Commands;
using Portal.Client;

namespace Portal.Cli;

/// <summary>The <c>portal</c> command line, callable in-process (tests) as well as from <c>Main</c>.</summary>
public static class PortalCli
{
    public const int ExitSuccess = 0;
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;
    public const int ExitCancelled = CliSignals.ExitInterrupted;

    /// <summary>The process entry point: SIGINT/SIGTERM cancel the command, which then exits 130/143.</summary>
    public static async Task<int> RunAsync(string[] args, CliSignals signals)
    {
        ArgumentNullException.ThrowIfNull(signals);
        var exit = await RunAsync(args, Console.Out, Console.Error, environment: null, signals, signals.Token);
        return signals.Received is { } signal && exit != ExitSuccess ? CliSignals.ExitCodeFor(signal) : exit;
    }

    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct) =>
        RunAsync(args, stdout, stderr, environment: null, ct);

    /// <param name="environment">Variables that override the process environment for this invocation only.</param>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?>? environment, CancellationToken ct) =>
        RunAsync(args, stdout, stderr, environment, signals: null, ct);

    private static async Task<int> RunAsync(
        string[] args, TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?>? environment, CliSignals? signals, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var isTerminal = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected;
        var cli = new CliContext(stdout, stderr, environment, isTerminal, signals);
        var root = BuildRootCommand(cli);
        // Response files are off: "@file.json" is how --meta and --config take a JSON file, not a list of arguments.
        var parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        // From the words, not the parse: a line that does not parse still asked for JSON (what follows "--" is run exec's).
        cli.JsonErrors = args.TakeWhile(a => a != "--").Contains("--json");
        // A directive ([suggest:N] from the completion scripts) answers even for a line that does not parse yet.
        if (parsed.Errors.Count > 0 && parsed.Action is null or ParseErrorAction)
        {
            var messages = parsed.Errors.Select(e => e.Message + CommandSuggestions.DidYouMean(parsed, e.Message)).ToList();
            cli.WriteError(CliErrorCodes.InvalidArgument, string.Join(" ", messages),
                messages.Select(m => $"error: {m}").Append("Run 'portal --help' (or the command with --help) for usage."));
            return ExitUsage;
        }

        try
        {
            // ProcessTerminationTimeout = null: signals are CliSignals' job; System.CommandLine's own handler would
            // cancel a token of its own and race ours to the exit code.
            return await parsed.InvokeAsync(new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            }, ct);
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            // Whatever a cancelled transfer threw (OperationCanceledException, a disposed stream, a reset connection),
            // the user asked the command to stop, and it has.
            var message = signals?.Received switch
            {
                System.Runtime.InteropServices.PosixSignal.SIGTERM => "terminated (SIGTERM)",
                System.Runtime.InteropServices.PosixSignal.SIGINT => "interrupted (SIGINT)",
                _ => "cancelled",
            };
            return Fail(cli, CliErrorCodes.Cancelled, message, plain: message, ExitCancelled);
        }
        catch (PortalApiException ex)
        {
            return Fail(cli, CliErrorCodes.For(ex), ex.Detail, plain: $"error: {ex.Detail} ({ex.Code})", ExitFailure);
        }
        catch (CliException ex)
        {
            return Fail(cli, ex.Code, ex.Message, plain: $"error: {ex.Message}", ex.ExitCode);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Fail(cli, CliErrorCodes.IoError, ex.Message, plain: $"error: {ex.Message}", ExitFailure);
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
            RegistryCommand.Create(cli),
            AutomationCommand.Create(cli),
            EvalCommand.Create(cli),
            AuditCommand.Create(cli),
            EvidenceCommand.Create(cli),
            CompletionCommand.Create(cli),
        };
        // The completion scripts pass the whole line, "portal …" included, whatever this process is called
        // (a test host, "dotnet portal.dll").
        if (root.Name != "portal")
            root.Aliases.Add("portal");
        return root;
    }

    private static int Fail(CliContext cli, string code, string message, string plain, int exitCode)
    {
        cli.WriteError(code, message, [plain]);
        return exitCode;
    }
}
