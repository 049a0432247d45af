using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Portal.Client;
using Portal.Core;

namespace Portal.Web.Infrastructure;

/// <summary>Turns every failure into RFC 7807 problem details carrying a stable <c>code</c>.</summary>
public sealed class PortalExceptionHandler(IProblemDetailsService problems, ILogger<PortalExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var context = httpContext;
        var (status, code, detail, extensions) = exception switch
        {
            PortalException p => (p.Status, p.Code, p.Message, p.Extensions),
            // A JSON body parameter bound from another content type.
            BadHttpRequestException { StatusCode: StatusCodes.Status415UnsupportedMediaType } =>
                (415, ErrorCodes.UnsupportedMediaType, AcceptedContentTypes.Message(context, ["application/json"]), null),
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
                (413, ErrorCodes.RequestTooLarge, "The request body is larger than this endpoint accepts.", null),
            BadHttpRequestException b => (b.StatusCode, ErrorCodes.ValidationFailed, RequestErrorMessage(b), null),
            _ when Portal.Core.Data.DatabaseErrors.IsStorageFull(exception) =>
                (507, ErrorCodes.StorageFull, "The database is out of space; nothing of this request was saved. Try again later or ask an administrator to free space.", null),
            OperationCanceledException when context.RequestAborted.IsCancellationRequested => (499, ErrorCodes.ClientClosed, "The client closed the request.", null),
            _ => (500, ErrorCodes.InternalError, "Something went wrong on the server. The error was logged; try again or tell an admin.", null),
        };
        if (status >= 500)
            logger.LogError(exception, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
        if (context.Response.HasStarted)
            return true;
        context.Response.StatusCode = status;
        var problem = new ProblemDetails { Status = status, Title = Problems.TitleFor(status), Detail = detail };
        problem.Extensions["code"] = code;
        if (extensions is not null)
        {
            foreach (var (key, value) in extensions)
                problem.Extensions[key] = value;
        }

        if (await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception }))
            return true;

        // No writer takes the client's Accept header (a feed client asking only for NDJSON, a download asking only for
        // octet-stream): the refusal is still a problem document with its status and code, never a second failure.
        problem.Extensions["traceId"] = context.Features.Get<IHttpActivityFeature>()?.Activity.Id ?? context.TraceIdentifier;
        await context.Response.WriteAsJsonAsync(problem, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json", cancellationToken);
        return true;
    }

    private static string RequestErrorMessage(BadHttpRequestException b) =>
        b.InnerException is System.Text.Json.JsonException json
            ? $"The request body is not valid JSON for this endpoint: {json.Message}"
            : b.Message;
}

public static class Problems
{
    public static string TitleFor(int status) => status switch
    {
        400 => "Bad request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not found",
        405 => "Method not allowed",
        409 => "Conflict",
        413 => "Request too large",
        415 => "Unsupported media type",
        422 => "Unprocessable content",
        429 => "Too many requests",
        507 => "Insufficient storage",
        _ => status >= 500 ? "Server error" : "Error",
    };

    public static string CodeFor(int status) => status switch
    {
        401 => ErrorCodes.Unauthorized,
        403 => ErrorCodes.Forbidden,
        404 => ErrorCodes.NotFound,
        405 => ErrorCodes.MethodNotAllowed,
        413 => ErrorCodes.RequestTooLarge,
        415 => ErrorCodes.UnsupportedMediaType,
        429 => ErrorCodes.RateLimited,
        >= 500 => ErrorCodes.InternalError,
        _ => ErrorCodes.ValidationFailed,
    };

    public static IServiceCollection AddPortalProblemDetails(this IServiceCollection services)
    {
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
        {
            var status = ctx.ProblemDetails.Status ?? ctx.HttpContext.Response.StatusCode;
            ctx.ProblemDetails.Extensions.TryAdd("code", CodeFor(status));
            ctx.ProblemDetails.Title ??= TitleFor(status);
            ctx.ProblemDetails.Detail ??= status switch
            {
                404 => $"Nothing is at {ctx.HttpContext.Request.Method} {ctx.HttpContext.Request.Path}; the API reference is at /api/docs.",
                405 => $"{ctx.HttpContext.Request.Method} is not allowed on {ctx.HttpContext.Request.Path}.",
                415 => AcceptedContentTypes.Message(ctx.HttpContext),
                _ => TitleFor(status) + ".",
            };
            ctx.ProblemDetails.Extensions.Remove("traceId");
            ctx.ProblemDetails.Extensions["traceId"] = ctx.HttpContext.Features.Get<IHttpActivityFeature>()?.Activity.Id ?? ctx.HttpContext.TraceIdentifier;
        });
        services.AddExceptionHandler<PortalExceptionHandler>();
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return services;
    }
}
