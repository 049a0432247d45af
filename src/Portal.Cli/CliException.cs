namespace Portal.Cli;

/// <summary>A failure the user can act on; printed as "error: message" with <see cref="ExitCode"/>.</summary>
public sealed class CliException : Exception
{
    public CliException(string message, int exitCode = PortalCli.ExitFailure)
        : base(message)
    {
        ExitCode = exitCode;
    }

    public CliException()
        : this("The command failed.")
    {
    }

    public CliException(string message)
        : this(message, PortalCli.ExitFailure)
    {
    }

    public CliException(string message, Exception innerException)
        : base(message, innerException)
    {
        ExitCode = PortalCli.ExitFailure;
    }

    public int ExitCode { get; }

    public static CliException Usage(string message) => new(message, PortalCli.ExitUsage);
}
