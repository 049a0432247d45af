using System.Net;

namespace Portal.Client;

/// <summary>
/// The portal answered with an error (RFC 7807 problem details). <see cref="Code"/> is the stable machine-readable
/// code from <see cref="ErrorCodes"/>; <see cref="Detail"/> is the message meant for a person.
/// </summary>
public sealed class PortalApiException : Exception
{
    /// <summary>Code of the client-side failure to reach the portal at all (status 0: no answer).</summary>
    public const string ConnectionFailed = "connection_failed";

    public PortalApiException(HttpStatusCode status, string code, string detail)
        : base($"{detail} ({code})")
    {
        Status = status;
        Code = code;
        Detail = detail;
    }

    public PortalApiException()
        : this(HttpStatusCode.InternalServerError, ErrorCodes.InternalError, "The portal reported an error.")
    {
    }

    public PortalApiException(string message)
        : this(HttpStatusCode.InternalServerError, ErrorCodes.InternalError, message)
    {
    }

    public PortalApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = HttpStatusCode.InternalServerError;
        Code = ErrorCodes.InternalError;
        Detail = message;
    }

    public HttpStatusCode Status { get; }

    public string Code { get; }

    public string Detail { get; }
}
