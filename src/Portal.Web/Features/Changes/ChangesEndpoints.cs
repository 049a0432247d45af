using System.Security.Claims;
using Portal.Client.Models;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Changes;

namespace Portal.Web.Features.Changes;

/// <summary>The chunk-level change feed: rows added, changed and removed between two versions, as NDJSON.</summary>
public static class ChangesEndpoints
{
    public const string NdjsonType = "application/x-ndjson";

    public static RouteGroupBuilder MapChangesApi(this RouteGroupBuilder api)
    {
        api.MapGet("/projects/{slug}/changes", async (string slug, string from, string to, string? key, bool? rows, string? continuation,
                HttpContext http, ClaimsPrincipal user, VersionSpecs specs, ChangeFeed feed, CancellationToken ct) =>
            {
                // Everything that can be refused is checked before the first record, so refusals are problem details.
                var fromId = await specs.ResolveAsync(user, slug, from, ct);
                var toId = await specs.ResolveAsync(user, slug, to, ct);
                var plan = await feed.PlanAsync(user, slug, fromId, toId, continuation, ct);
                http.Response.ContentType = NdjsonType;
                http.Response.Headers.CacheControl = "no-store";
                await ChangeFeedWriter.WriteAsync(feed.ReadAsync(plan, string.IsNullOrWhiteSpace(key) ? null : key.Trim(), rows ?? true, ct), http.Response.Body, ct);
            })
            .WithTags("Version contents").WithName("ChangeFeed")
            .WithSummary("Every row added, changed or removed from one version to another, across all CSV/TSV/JSONL/Parquet files (other files as file-level records), streamed as NDJSON and ending with an end record holding the counts. Rows are matched by key column, else by content (rowDigest); files the versions share are skipped unread. Resume after a cut with continuation = the last record's cursor.")
            .WithDescription("See docs/change-feed.md for the record fields, the order of records and the row digest's definition.")
            .Produces<ChangeRecord>(StatusCodes.Status200OK, NdjsonType)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }
}
