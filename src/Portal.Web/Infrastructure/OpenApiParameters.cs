using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Portal.Web.Infrastructure;

/// <summary>
/// Describes the API's parameters. The same names mean the same thing on every endpoint (a project's slug, a version id,
/// a page's limit), so one table serves them all; an endpoint whose parameter means something else names its operation
/// in <see cref="ByOperation"/>.
/// </summary>
public static class OpenApiParameters
{
    private static readonly Dictionary<string, string> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["slug"] = "The project's slug, as in its URL (lowercase letters, digits and dashes).",
        ["name"] = "The artifact's name within the project.",
        ["artifact"] = "An artifact's name; narrows the answer to that artifact.",
        ["alias"] = "An alias of the artifact (latest, a custom alias or a protected one such as production).",
        ["reference"] = "The version as vN, an alias, a version id or a manifest digest (sha256:…).",
        ["specification"] = "A version named as artifact:vN, artifact:alias or artifact:manifest-digest.",
        ["versionId"] = "The version's id (a GUID).",
        ["runId"] = "The run's id (a GUID).",
        ["ingestionId"] = "The ingestion's id (a GUID).",
        ["reportId"] = "The compare report's id (a GUID).",
        ["userId"] = "The user's id.",
        ["digest"] = "A SHA-256 digest as 64 lowercase hex characters (the blob's content address).",
        ["number"] = "The part's number, from 1.",
        ["project"] = "A project's slug; blobs are checked and stored for that project (default: any project you can write).",
        ["path"] = "A path inside the version, with '/' between folders (no leading slash).",
        ["oldPath"] = "The path the file had in the older version (for a renamed file).",
        ["limit"] = "The largest number of items to return in this page.",
        ["continuation"] = "The continuation token of the previous page; omit for the first page.",
        ["continuationToken"] = "The continuation token of the previous page; omit for the first page.",
        ["before"] = "Only entries older than this id (the last id of the previous page).",
        ["from"] = "The start of the range: the older version, or the earliest time (ISO 8601).",
        ["to"] = "The end of the range: the newer version, or the latest time (ISO 8601).",
        ["toProject"] = "The slug of the project the 'to' version is in, when it is not this project.",
        ["change"] = "Only changes of this kind: added, removed, modified or renamed.",
        ["time"] = "A point in time (ISO 8601).",
        ["reason"] = "Why, recorded in the audit log.",
        ["search"] = "Only items whose name contains this text (case-insensitive).",
        ["q"] = "The text to search for.",
        ["metadata"] = "key=value: only artifacts whose latest version's metadata has that value (dots reach nested keys).",
        ["type"] = "The artifact type (such as dataset or model).",
        ["jobType"] = "Only runs of this job type.",
        ["state"] = "Only items in this state.",
        ["status"] = "Only items with this status.",
        ["sort"] = "The order of the results.",
        ["scope"] = "What to search or list: a narrower part of the portal.",
        ["actor"] = "Only entries caused by this user (an email or user id).",
        ["action"] = "Only entries of this action (such as version.committed).",
        ["createdBy"] = "Only items created by this user.",
        ["format"] = "The format of the answer.",
        ["inline"] = "true to send an image inline (for an <img>) instead of as an attachment.",
        ["keyColumn"] = "The column that identifies a row when rows are compared.",
        ["up"] = "How many steps to walk upstream (towards inputs).",
        ["down"] = "How many steps to walk downstream (towards outputs).",
        ["cap"] = "The most nodes to return; the rest are folded into clusters.",
        ["samples"] = "The most points per metric to return (evenly thinned).",
        ["job"] = "The maintenance job's name.",
        ["id"] = "The item's id.",
        ["kind"] = "The kind of item.",
        ["role"] = "The role to give: Viewer, Contributor, Reviewer or Admin.",
        ["runs"] = "Whether to include runs.",
    };

    /// <summary>Where a name means something else on one operation (by operation id).</summary>
    private static readonly Dictionary<(string Operation, string Parameter), string> ByOperation = new();

    public static OpenApiOptions AddPortalParameters(this OpenApiOptions options)
    {
        options.AddOperationTransformer((operation, _, _) =>
        {
            foreach (var parameter in (operation.Parameters ?? []).OfType<OpenApiParameter>())
            {
                if (parameter.Description is not null || parameter.Name is not { } name)
                    continue;
                parameter.Description = operation.OperationId is { } id && ByOperation.TryGetValue((id, name), out var special)
                    ? special
                    : ByName.GetValueOrDefault(name);
            }
            return Task.CompletedTask;
        });
        return options;
    }
}
