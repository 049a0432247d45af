namespace Portal.Cli;

/// <summary>
/// A failure the user can act on; printed as "error: message" with <see cref="ExitCode"/>, and under <c>--json</c>
/// as an error object with <see cref="Code"/>.
/// </summary>
public sealed class CliException : Exception
{
    public CliException(string message, int exitCode = PortalCli.ExitFailure, string code = CliErrorCodes.Failed)
        : base(message)
    {
        ExitCode = exitCode;
        Code = code;
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
        Code = CliErrorCodes.Failed;
    }

    public int ExitCode { get; }

    /// <summary>One of <see cref="CliErrorCodes"/>.</summary>
    public string Code { get; }

    public static CliException Usage(string message) => new(message, PortalCli.ExitUsage, CliErrorCodes.InvalidArgument);
}
