using Scalar.AspNetCore;

namespace Portal.Web.Infrastructure;

public static class OpenApi
{
    /// <summary>What each tag of the document (the <c>WithTags</c> of the features' endpoints) groups.</summary>
    private static readonly Dictionary<string, string> TagDescriptions = new()
    {
        ["Health"] = "Whether the portal and its database answer.",
        ["Access"] = "Your account, API tokens and the site's users.",
        ["Projects"] = "Projects and their members.",
        ["Artifacts"] = "Artifacts, their versions and aliases.",
        ["Blobs"] = "Content-addressed file contents: upload, check and download by SHA-256.",
        ["Version contents"] = "Files of a version: listing, download, archives and diffs.",
        ["Runs"] = "Pipeline runs, their metrics and the versions they used and produced.",
        ["Lineage"] = "The graph of versions and runs: provenance and impact.",
        ["Search"] = "Finding projects, artifacts, versions and runs.",
        ["Promotions"] = "Protected aliases, promotion requests and their approvals.",
        ["Webhooks"] = "Webhooks and their deliveries.",
        ["Audit"] = "The tamper-evident audit log.",
        ["Validation and compare reports"] = "Validation rules and results, and compare reports of two versions.",
        ["Ingestion"] = "Server-side ingestion of browser uploads and references.",
        ["E-mail digests"] = "Subscriptions to periodic e-mail digests.",
        ["Registry"] = "Site-wide collections that link committed versions from projects, with their aliases and cards.",
        ["Evaluations"] = "Scores of a version on a pinned eval-set version: logging, matrix, comparison and attribution.",
        ["Evidence"] = "Signed evidence packs of a version for auditors, and the keys that sign them.",
        ["Automations"] = "Rules that act on events (version committed or linked, alias moved) and their runs.",
        ["Maintenance"] = "Retention policies and maintenance jobs (site admins).",
    };

    public static IServiceCollection AddPortalOpenApi(this IServiceCollection services)
    {
        services.AddOpenApi("v1", o => o
            .AddPortalSecurity()
            .AddPortalProblems()
            .AddPortalSchemas()
            .AddPortalParameters()
            .AddOperationTransformer((operation, context, _) =>
            {
                // The health probe is mapped outside the API group and carries no summary of its own.
                if (context.Description.RelativePath == "healthz")
                    operation.Summary ??= "200 when the database answers, 503 otherwise. Anonymous, for load balancers and probes.";
                return Task.CompletedTask;
            })
            .AddDocumentTransformer((document, _, _) =>
            {
                // The server entry is the address the document was asked at; without the trailing slash, so that
                // paths (which start with one) join it cleanly.
                foreach (var server in document.Servers ?? [])
                    server.Url = server.Url?.TrimEnd('/');
                foreach (var tag in document.Tags ?? new HashSet<Microsoft.OpenApi.OpenApiTag>())
                    tag.Description ??= TagDescriptions.GetValueOrDefault(tag.Name ?? "");
                document.Info.Title = "Portal API";
                document.Info.Description = "Log runs and artifact versions, read lineage and promote versions. Authenticate with `Authorization: Bearer <token>`; "
                    + "failures are problem details with a stable code (docs/openapi.md).";
                return Task.CompletedTask;
            }));
        return services;
    }

    /// <summary>The OpenAPI document at <c>/openapi/v1.json</c> and the Scalar reference at <c>/api/docs</c>.</summary>
    public static IEndpointRouteBuilder MapPortalOpenApi(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapPortalApiReference();
        return app;
    }
}
