using System.Reflection;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Portal.Client.Models;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Runs;

namespace Portal.Web.Infrastructure;

/// <summary>
/// Makes the schemas say what the API really reads and writes: integers as integers, closed sets of strings as enums,
/// and the models' XML documentation (Portal.Client) as descriptions.
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
            [(typeof(ValidationFindingResponse), "severity")] = CheckSeverity.All,
        };
        foreach (var severity in typeof(ValidationRules).GetProperties().Where(p => p.Name.EndsWith("Severity", StringComparison.Ordinal)))
            sets[(typeof(ValidationRules), JsonNamingPolicyCamel(severity.Name))] = CheckSeverity.All;
        return sets;
    }

    public static OpenApiOptions AddPortalSchemas(this OpenApiOptions options)
    {
        var docs = ModelDocumentation.Load(typeof(ProjectResponse).Assembly);
        options.AddSchemaTransformer((schema, context, _) =>
        {
            StrictNumbers(schema);
            if (context.JsonPropertyInfo is { } property)
            {
                if (ClosedSets.TryGetValue((property.DeclaringType, property.Name), out var values) && schema.Type == JsonSchemaType.String)
                    schema.Enum = values.Select(v => (JsonNode)JsonValue.Create(v)!).ToList();
                var clrName = (property.AttributeProvider as MemberInfo)?.Name;
                if (schema.Description is null && clrName is not null)
                    schema.Description = docs.Member(property.DeclaringType, clrName);
            }
            else
            {
                schema.Description ??= docs.Type(context.JsonTypeInfo.Type);
            }
            return Task.CompletedTask;
        });
        options.AddDocumentTransformer((document, _, _) =>
        {
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

    private static string JsonNamingPolicyCamel(string name) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(name);

    /// <summary>The XML documentation file of the models' assembly: type summaries and record parameters.</summary>
    private sealed class ModelDocumentation(Dictionary<string, XElement> members)
    {
        public static ModelDocumentation Load(Assembly assembly)
        {
            var path = Path.ChangeExtension(assembly.Location, ".xml");
            if (!File.Exists(path))
                return new ModelDocumentation(new Dictionary<string, XElement>());
            var members = XDocument.Load(path).Descendants("member")
                .Where(m => m.Attribute("name") is not null)
                .GroupBy(m => m.Attribute("name")!.Value)
                .ToDictionary(g => g.Key, g => g.First());
            return new ModelDocumentation(members);
        }

        public string? Type(Type type) =>
            members.TryGetValue("T:" + Name(type), out var member) ? Text(member.Element("summary")) : null;

        /// <summary>A property's own summary, or the record parameter it comes from.</summary>
        public string? Member(Type type, string name)
        {
            if (members.TryGetValue($"P:{Name(type)}.{name}", out var property) && Text(property.Element("summary")) is { } summary)
                return summary;
            return members.TryGetValue("T:" + Name(type), out var member)
                ? Text(member.Elements("param").FirstOrDefault(p => (string?)p.Attribute("name") == name))
                : null;
        }

        private static string Name(Type type) => (type.FullName ?? type.Name).Replace('+', '.');

        /// <summary>The element's text with <c>&lt;c&gt;</c>, <c>&lt;see cref&gt;</c> and line breaks flattened.</summary>
        private static string? Text(XElement? element)
        {
            if (element is null)
                return null;
            var text = string.Concat(element.Nodes().Select(n => n switch
            {
                XText t => t.Value,
                XElement { Name.LocalName: "see" or "seealso" } e => ((string?)e.Attribute("cref") ?? (string?)e.Attribute("langword") ?? e.Value).Split('.', ':').Last(),
                XElement { Name.LocalName: "paramref" or "typeparamref" } e => (string?)e.Attribute("name") ?? "",
                XElement e => e.Value,
                _ => "",
            }));
            var flat = string.Join(' ', text.Split((char[])['\n', '\r', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries));
            return flat.Length == 0 ? null : flat;
        }
    }
}
