using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing.Template;

namespace Portal.Web.Infrastructure;

/// <summary>
/// Names the content types an API route accepts, for the message of a 415. Routing answers 415 through an endpoint of
/// its own that carries nothing of the refused one, so the types are looked up again from the route table (only when
/// a 415 is written, never on the way in).
/// </summary>
public static class AcceptedContentTypes
{
    public static IReadOnlyList<string> For(HttpContext http)
    {
        var source = http.RequestServices.GetService<EndpointDataSource>();
        if (source is null)
            return [];
        var types = new List<string>();
        foreach (var endpoint in source.Endpoints.OfType<RouteEndpoint>())
        {
            if (endpoint.Metadata.GetMetadata<IAcceptsMetadata>() is not { ContentTypes.Count: > 0 } accepts)
                continue;
            if (endpoint.Metadata.GetMetadata<IHttpMethodMetadata>() is { HttpMethods.Count: > 0 } methods
                && !methods.HttpMethods.Contains(http.Request.Method, StringComparer.OrdinalIgnoreCase))
                continue;
            var matcher = new TemplateMatcher(new RouteTemplate(endpoint.RoutePattern), new RouteValueDictionary(endpoint.RoutePattern.Defaults));
            if (matcher.TryMatch(http.Request.Path, new RouteValueDictionary()))
                types.AddRange(accepts.ContentTypes.Where(t => t != "*/*"));
        }
        return types.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>"Send the body as application/json (got text/plain)." and the like.</summary>
    public static string Message(HttpContext http, IReadOnlyList<string>? accepted = null)
    {
        accepted ??= For(http);
        var got = string.IsNullOrEmpty(http.Request.ContentType) ? "no Content-Type" : $"Content-Type {http.Request.ContentType}";
        return accepted.Count == 0
            ? $"{http.Request.Method} {http.Request.Path} does not take a body of {got}; the API reference at /api/docs names what it takes."
            : $"{http.Request.Method} {http.Request.Path} takes a body of Content-Type {string.Join(" or ", accepted)}; it got {got}.";
    }
}
