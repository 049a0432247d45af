using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Portal.Client.Models;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Maintenance;
using Portal.Core.Features.Promotions;
using Portal.Core.Features.Runs;
using Portal.Core.Features.Webhooks;

namespace Portal.Web.Infrastructure;

/// <summary>
/// Makes the schemas say what the API really reads and writes: integers as integers, closed sets of strings as enums,
/// and a description on the framework's types (the models' come from their XML documentation).
/// </summary>
public static class OpenApiSchemas
{
    /// <summary>
    /// String members that only ever carry one of a few values. The values come from the constants the code writes,
    /// so the document cannot drift from them.
    /// </summary>
    private static readonly Dictionary<(Type Type, string Property), IReadOnlyList<string>> ClosedSets = BuildClosedSets();

    private static Dictionary<(Type, string), IReadOnlyList<string>> BuildClosedSets()
    {
        IReadOnlyList<string> roles = Enum.GetNames<ProjectRole>();
        IReadOnlyList<string> runStatuses = Enum.GetValues<RunStatus>().Select(Portal.Core.Features.Runs.Runs.StatusName).ToList();
        IReadOnlyList<string> finalRunStatuses = Enum.GetValues<RunStatus>().Where(s => s != RunStatus.Running).Select(Portal.Core.Features.Runs.Runs.StatusName).ToList();
        // Only roles that can approve (PromotionPolicies.ParseApproverRole): never Viewer.
        IReadOnlyList<string> approverRoles = Enum.GetValues<ProjectRole>().Where(r => r >= ProjectRole.Contributor).Select(r => r.ToString()).ToList();
        IReadOnlyList<string> lineageNodeKinds = Constants(typeof(LineageNodeKinds));
        var sets = new Dictionary<(Type, string), IReadOnlyList<string>>
        {
            [(typeof(ProjectResponse), "role")] = roles,
            [(typeof(ProjectMemberResponse), "role")] = roles,
            [(typeof(AddProjectMemberRequest), "role")] = roles,
            [(typeof(ChangeProjectMemberRoleRequest), "role")] = roles,
            [(typeof(RunResponse), "status")] = runStatuses,
            [(typeof(LineageRunNode), "status")] = runStatuses,
            [(typeof(CreateVersionResponse), "status")] = Constants(typeof(CreateVersionStatus)),
            [(typeof(CommitVersionResponse), "status")] = Constants(typeof(CreateVersionStatus)),
            [(typeof(IngestionResponse), "status")] = Constants(typeof(IngestionStatuses)),
            [(typeof(IngestionResponse), "kind")] = Constants(typeof(IngestionKinds)),
            [(typeof(ValidationResponse), "state")] = Constants(typeof(JobStates)),
            [(typeof(CompareReportSummary), "state")] = Constants(typeof(JobStates)),
            [(typeof(PromotionResponse), "state")] = Constants(typeof(PromotionStates)),
            [(typeof(PromotionCheckResponse), "state")] = Constants(typeof(PromotionCheckStates)),
            [(typeof(VersionDiffItem), "change")] = Constants(typeof(DiffChange)),
            [(typeof(ChangeRecord), "op")] = Constants(typeof(ChangeOps)),
            [(typeof(ChangeRecord), "level")] = Constants(typeof(ChangeLevels)),
            [(typeof(ValidationFindingResponse), "severity")] = CheckSeverity.All,
            [(typeof(FinishRunRequest), "status")] = finalRunStatuses,
            [(typeof(WebhookDeliveryResponse), "state")] = LowerNames<WebhookDeliveryState>(),
            [(typeof(MaintenanceRunResponse), "state")] = LowerNames<MaintenanceRunState>(),
            [(typeof(LineageNodeResponse), "kind")] = lineageNodeKinds,
            [(typeof(LineageClusterNode), "nodeKind")] = lineageNodeKinds.Where(k => k != LineageNodeKinds.Cluster).ToList(),
            [(typeof(PromotionResponse), "kind")] = LowerNames<PromotionKind>(),
            [(typeof(PromotionResponse), "approverRole")] = approverRoles,
            [(typeof(PromotionPolicyResponse), "approverRole")] = approverRoles,
            [(typeof(SearchHit), "kind")] = Constants(typeof(SearchHitKind)),
        };
        foreach (var severity in typeof(ValidationRules).GetProperties().Where(p => p.Name.EndsWith("Severity", StringComparison.Ordinal)))
            sets[(typeof(ValidationRules), JsonNamingPolicyCamel(severity.Name))] = CheckSeverity.All;
        return sets;
    }

    /// <summary>
    /// Types of the framework that appear as schemas of their own. The models' descriptions come from their XML
    /// documentation (Portal.Client generates it; the OpenAPI package's source generator reads it).
    /// </summary>
    private static readonly Dictionary<string, string> FrameworkTypes = new()
    {
        [nameof(System.Text.Json.JsonElement)] = "Any JSON value, as the client sent it (metadata, config, summaries).",
        [nameof(Stream)] = "The raw bytes of the body.",
    };

    public static OpenApiOptions AddPortalSchemas(this OpenApiOptions options)
    {
        options.AddSchemaTransformer((schema, context, _) =>
        {
            StrictNumbers(schema);
            if (context.JsonPropertyInfo is { } property)
            {
                if (ClosedSets.TryGetValue((property.DeclaringType, property.Name), out var values) && schema.Type == JsonSchemaType.String)
                    schema.Enum = values.Select(v => (JsonNode)JsonValue.Create(v)!).ToList();
            }
            return Task.CompletedTask;
        });
        // Responses declared with a media type but no CLR type (files, tar streams, reports) get that media type.
        options.AddOperationTransformer((operation, context, _) =>
        {
            foreach (var declared in context.Description.ActionDescriptor.EndpointMetadata.OfType<IProducesResponseTypeMetadata>())
            {
                if (declared.Type is not null && declared.Type != typeof(void) || !declared.ContentTypes.Any()
                    || operation.Responses?.GetValueOrDefault(declared.StatusCode.ToString(CultureInfo.InvariantCulture)) is not OpenApiResponse response)
                    continue;
                response.Content ??= new Dictionary<string, OpenApiMediaType>();
                foreach (var contentType in declared.ContentTypes)
                    response.Content.TryAdd(contentType, new OpenApiMediaType());
            }
            return Task.CompletedTask;
        });
        options.AddDocumentTransformer((document, _, _) =>
        {
            foreach (var (id, description) in FrameworkTypes)
            {
                if (document.Components?.Schemas is { } schemas && schemas.TryGetValue(id, out var found) && found is OpenApiSchema schema)
                    schema.Description ??= description;
            }
            foreach (var operation in (document.Paths ?? new OpenApiPaths()).Values.SelectMany(p => (IEnumerable<OpenApiOperation>?)p.Operations?.Values ?? []))
            {
                if (operation.RequestBody is OpenApiRequestBody body)
                    TypeBinaryContent(body.Content);
                foreach (var response in (operation.Responses ?? new OpenApiResponses()).Values.OfType<OpenApiResponse>())
                    TypeBinaryContent(response.Content);
            }
            return Task.CompletedTask;
        });
        return options;
    }

    /// <summary>Bodies that are bytes (blobs, files, tar streams) are typed as binary strings, whatever their media type.</summary>
    private static void TypeBinaryContent(IDictionary<string, OpenApiMediaType>? content)
    {
        foreach (var (mediaType, media) in content ?? new Dictionary<string, OpenApiMediaType>())
        {
            if (mediaType.Contains("json", StringComparison.OrdinalIgnoreCase))
                continue;
            if (media.Schema is null || media.Schema is OpenApiSchema { Type: null, Properties: null or { Count: 0 } } or OpenApiSchema { Type: JsonSchemaType.String, Format: null })
                media.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary", Description = "The bytes." };
        }
    }

    /// <summary>
    /// The HTTP JSON options are the web defaults, which also read numbers written as strings; the schema generator
    /// then types every number <c>integer|string</c> with a pattern. Clients should send numbers, so the document says so.
    /// </summary>
    private static void StrictNumbers(OpenApiSchema schema)
    {
        if (schema.Type is not { } type || !type.HasFlag(JsonSchemaType.String))
            return;
        if (type.HasFlag(JsonSchemaType.Integer) || type.HasFlag(JsonSchemaType.Number))
        {
            schema.Type = type & ~JsonSchemaType.String;
            schema.Pattern = null;
        }
    }

    private static IReadOnlyList<string> Constants(Type type) => type
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)
        .ToList();

    /// <summary>The names of an enum the way the use cases write them (<c>State.ToString().ToLowerInvariant()</c>).</summary>
    private static IReadOnlyList<string> LowerNames<TEnum>()
        where TEnum : struct, Enum =>
        Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()).ToList();

    private static string JsonNamingPolicyCamel(string name) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(name);
}
