namespace Portal.Core;

/// <summary>
/// A failure a caller can act on. The API turns it into problem details with <see cref="Code"/> as the stable
/// machine-readable code; the CLI prints <see cref="Exception.Message"/> and exits non-zero.
/// </summary>
public sealed class PortalException : Exception
{
    public PortalException(int status, string code, string message, IReadOnlyDictionary<string, object?>? extensions = null)
        : base(message)
    {
        Status = status;
        Code = code;
        Extensions = extensions ?? new Dictionary<string, object?>();
    }

    public int Status { get; }

    public string Code { get; }

    public IReadOnlyDictionary<string, object?> Extensions { get; }

    public static PortalException NotFound(string code, string message) => new(404, code, message);

    public static PortalException BadRequest(string code, string message, IReadOnlyDictionary<string, object?>? extensions = null) =>
        new(400, code, message, extensions);

    public static PortalException Conflict(string code, string message, IReadOnlyDictionary<string, object?>? extensions = null) =>
        new(409, code, message, extensions);

    public static PortalException Unauthenticated() => new(401, Client.ErrorCodes.Unauthorized, "Sign in or send an API token.");

    public static PortalException Forbidden(string message) => new(403, Client.ErrorCodes.Forbidden, message);
}
