using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Portal.Web.Infrastructure;

/// <summary>
/// Declares the API-token bearer scheme (<see cref="ApiTokenAuthenticationHandler"/>) and applies it to every operation
/// whose endpoint requires authorization; endpoints that allow anonymous calls (health, the document itself) get none.
/// </summary>
public static class OpenApiSecurity
{
    public const string SchemeId = "bearer";

    public static OpenApiOptions AddPortalSecurity(this OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[SchemeId] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "A personal API token (ptl_…) from Settings → API tokens, sent as 'Authorization: Bearer <token>'. "
                    + "The portal's own pages call the API with the sign-in cookie instead.",
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            var anonymous = metadata.OfType<IAllowAnonymous>().Any();
            var authorized = metadata.OfType<IAuthorizeData>().Any() || metadata.OfType<AuthorizationPolicy>().Any();
            // An empty requirement ({}) says the operation needs no credentials.
            operation.Security = authorized && !anonymous
                ? [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeId, context.Document)] = [] }]
                : [new OpenApiSecurityRequirement()];
            return Task.CompletedTask;
        });
        return options;
    }
}
