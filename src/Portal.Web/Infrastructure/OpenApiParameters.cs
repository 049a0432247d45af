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
        ["version"] = "The version as vN, an alias, a version id or a manifest digest.",
        ["q"] = "The text to search for.",
        ["metadata"] = "key=value: only artifacts whose latest version's metadata has that value (dots reach nested keys).",
        ["type"] = "The artifact type (such as dataset or model).",
        ["jobType"] = "Only runs of this job type.",
        ["state"] = "Only promotion requests in this state (open, approved, applied, rejected or cancelled).",
        ["status"] = "Only runs with this status (running, finished, failed, crashed or killed).",
        ["sort"] = "The order of the runs.",
        ["scope"] = "Which requests to list.",
        ["actor"] = "Only entries caused by this user (an email or user id).",
        ["action"] = "Only entries of this action (such as version.committed).",
        ["createdBy"] = "Only items created by this user.",
        ["format"] = "The format of the download: html (the default), md or csv.",
        ["inline"] = "true to send an image inline (for an <img>) instead of as an attachment.",
        ["keyColumn"] = "The column that identifies a row when rows are compared.",
        ["up"] = "How many hops to walk upstream, towards inputs (default 2, at most 10).",
        ["down"] = "How many hops to walk downstream, towards outputs (default 2, at most 10).",
        ["cap"] = "The most new neighbours a node shows per hop (default 25, at most 500); the rest become cluster nodes.",
        ["samples"] = "The most points per metric to return (evenly thinned).",
        ["job"] = "The maintenance job's name.",
        ["id"] = "The id (a GUID) of the object the path names: a token, upload session, promotion request, webhook, evaluation or version.",
        ["key"] = "The metric's key (such as loss or accuracy).",
        ["focus"] = "The node to centre the graph on (version:<id> or run:<id>).",
        ["node"] = "The node to start from (version:<id> or run:<id>).",
        ["anchor"] = "The node whose folded cluster to open (version:<id> or run:<id>).",
        ["direction"] = "Which side of the anchor to open: up or down.",
        ["after"] = "The later evaluation's id (a GUID).",
        ["metric"] = "The scorer compared (such as recall@5); default: the first one the evaluations have.",
        ["subject"] = "Only evaluations whose subject is a version of this artifact (its name).",
        ["evalSet"] = "Only evaluations on a version of this eval-set artifact (its name).",
    };

    /// <summary>Where a name means something else on one operation (by operation id).</summary>
    private static readonly Dictionary<(string Operation, string Parameter), string> ByOperation = new()
    {
        [("ExpandLineageCluster", "type")] = "The artifact type or job type the cluster node stands for.",
        [("PromotionQueue", "project")] = "Only requests of this project (its slug).",
        [("PromotionQueue", "scope")] = "awaiting (the default: requests that wait for your review) or mine (your own requests).",
        [("PromotionQueue", "alias")] = "Only requests that move this alias.",
        [("ChangeFeed", "from")] = "The older version: its id, artifact:vN, artifact:alias or artifact:manifest-digest.",
        [("ChangeFeed", "to")] = "The newer version, named the same ways.",
        [("ChangeFeed", "key")] = "The key column rows are matched by (default: id, _id, uuid, key, guid, pk … as the row diff detects it; files without it are matched by content).",
        [("ChangeFeed", "rows")] = "false leaves the row bodies out (default true).",
        [("ChangeFeed", "continuation")] = "The cursor of the last record received; the feed resumes after it. Omit to start at the beginning.",
        [("CompareEvaluationExamples", "before")] = "The earlier evaluation's id (a GUID).",
        [("AttributeEvaluationChange", "before")] = "The earlier evaluation's id (a GUID).",
        [("ExportEvidence", "version")] = "The version the pack is about: its id, artifact:vN, artifact:alias or artifact:manifest-digest (or give alias and at instead).",
        [("ExportEvidence", "alias")] = "artifact:alias: the pack is about the version this alias pointed at at the time given by at.",
        [("ExportEvidence", "at")] = "With alias: the time (ISO 8601, e.g. 2026-03-03T14:00Z) at which the alias is resolved; default now.",
        [("CompareEvaluationExamples", "limit")] = "The most examples to list each way (worse, better); default 50, at most 1,000.",
    };

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
