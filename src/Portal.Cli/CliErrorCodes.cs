using System.Net;
using Portal.Client;

namespace Portal.Cli;

/// <summary>
/// The <c>code</c> of a <c>--json</c> error (<c>{"error":{"code":…,"message":…}}</c> on stderr) when the failure is the
/// CLI's own; a failure the portal reported keeps the portal's code (<see cref="ErrorCodes"/>).
/// </summary>
public static class CliErrorCodes
{
    public const string InvalidArgument = "invalid_argument";
    public const string NotFound = "not_found";
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string Conflict = "conflict";
    public const string ServerError = "server_error";
    public const string Network = "network";
    public const string Cancelled = "cancelled";
    public const string IoError = "io_error";
    public const string CommandFailed = "command_failed";
    public const string DownloadFailed = "download_failed";
    public const string Failed = "failed";

    /// <summary>The portal's problem-details code; the status's meaning when the answer carried none (a proxy's page).</summary>
    public static string For(PortalApiException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error.Code == PortalApiException.ConnectionFailed)
            return Network;
        if (!error.Code.StartsWith("http_", StringComparison.Ordinal))
            return error.Code;
        return error.Status switch
        {
            HttpStatusCode.BadRequest => InvalidArgument,
            HttpStatusCode.Unauthorized => Unauthorized,
            HttpStatusCode.Forbidden => Forbidden,
            HttpStatusCode.NotFound => NotFound,
            HttpStatusCode.Conflict => Conflict,
            >= HttpStatusCode.InternalServerError => ServerError,
            _ => Failed,
        };
    }
}
