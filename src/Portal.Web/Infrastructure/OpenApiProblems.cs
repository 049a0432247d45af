using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Portal.Client;

namespace Portal.Web.Infrastructure;

/// <summary>
/// Describes the problem details the API writes (<see cref="PortalExceptionHandler"/>, <see cref="Problems"/>,
/// <see cref="ApiAuthResponses"/>) as one <c>ProblemDetails</c> schema whose <c>code</c> is an enum of
/// <see cref="ErrorCodes"/>, and makes every 4xx/5xx response of the document an <c>application/problem+json</c> of it.
/// </summary>
public static class OpenApiProblems
{
    public const string SchemaId = "ProblemDetails";
    public const string ContentType = "application/problem+json";

    /// <summary>Every stable code, read from <see cref="ErrorCodes"/> so a new code is in the document at once.</summary>
    public static IReadOnlyList<string> Codes { get; } = typeof(ErrorCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)
        .Distinct(StringComparer.Ordinal)
        .Order(StringComparer.Ordinal)
        .ToList();

    /// <summary>
    /// Members some failures add next to <c>code</c> (<see cref="Portal.Core.PortalException.Extensions"/>), so a
    /// client can act without parsing <c>detail</c>. Which appear depends on the code.
    /// </summary>
    private static readonly (string Name, JsonSchemaType? Type, string Description)[] ExtensionMembers =
    [
        ("path", JsonSchemaType.String, "The manifest path the failure is about."),
        ("previousPath", JsonSchemaType.String, "The earlier path that clashes with path."),
        ("conflictingPath", JsonSchemaType.String, "The path that is both a file and a folder."),
        ("line", JsonSchemaType.Integer, "The 1-based line of the NDJSON manifest or rules file that failed."),
        ("position", JsonSchemaType.Integer, "The position in the line or batch that failed."),
        ("index", JsonSchemaType.Integer, "The 0-based index of the failing item in the request."),
        ("digest", JsonSchemaType.String, "The SHA-256 digest (sha256:…) the failure is about."),
        ("expected", null, "The value the server expected (a digest, a size or a count)."),
        ("actual", null, "The value the server found instead of expected."),
        ("size", JsonSchemaType.Integer, "A size in bytes that was refused."),
        ("declaredSize", JsonSchemaType.Integer, "The size in bytes the request declared."),
        ("expectedSize", JsonSchemaType.Integer, "The size in bytes the server expected."),
        ("maxSize", JsonSchemaType.Integer, "The largest size in bytes allowed."),
        ("maxBytes", JsonSchemaType.Integer, "The largest body in bytes this endpoint accepts."),
        ("limit", JsonSchemaType.Number, "The limit that was exceeded (bytes, a count or a ratio)."),
        ("entries", JsonSchemaType.Integer, "The number of entries found."),
        ("part", JsonSchemaType.Integer, "The upload part number the failure is about."),
        ("missing", null, "What is missing (part numbers or digests) before the request can succeed."),
        ("missingCount", JsonSchemaType.Integer, "How many blobs are missing."),
        ("missingDigests", JsonSchemaType.Array, "Some of the digests whose blobs are missing; upload them and try again."),
        ("alias", JsonSchemaType.String, "The alias the failure is about."),
        ("sourceAlias", JsonSchemaType.String, "The alias a promotion copies from."),
        ("promotion", JsonSchemaType.String, "The API path of the promotion request that covers this change."),
        ("currentVersionId", JsonSchemaType.String, "The version the alias points at now."),
        ("state", JsonSchemaType.String, "The current state of the object, which does not allow the request."),
        ("name", JsonSchemaType.String, "The name the failure is about."),
        ("type", JsonSchemaType.String, "The type the failure is about."),
        ("ref", JsonSchemaType.String, "The reference the failure is about."),
        ("uri", JsonSchemaType.String, "The URI the failure is about."),
        ("rule", JsonSchemaType.String, "The validation rule the failure is about."),
        ("ingestionStatus", JsonSchemaType.String, "The status of the ingestion (queued, committed …), which takes no more files."),
    ];

    public static OpenApiOptions AddPortalProblems(this OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
            document.Components.Schemas[SchemaId] = ProblemSchema();
            foreach (var operation in (document.Paths ?? new OpenApiPaths()).Values.SelectMany(p => (IEnumerable<OpenApiOperation>?)p.Operations?.Values ?? []))
            {
                foreach (var (status, response) in operation.Responses ?? new OpenApiResponses())
                {
                    if (response is not OpenApiResponse concrete || !int.TryParse(status, out var code) || code < 400)
                        continue;
                    concrete.Description = Problems.TitleFor(code) + ": problem details with a stable code.";
                    concrete.Content = new Dictionary<string, OpenApiMediaType>
                    {
                        [ContentType] = new() { Schema = new OpenApiSchemaReference(SchemaId, document) },
                    };
                }
            }
            return Task.CompletedTask;
        });
        return options;
    }

    private static OpenApiSchema ProblemSchema()
    {
        var properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null, Description = "A URI naming the kind of problem (RFC 9110 section reference)." },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null, Description = "A short summary of the HTTP status." },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer | JsonSchemaType.Null, Format = "int32", Description = "The HTTP status code." },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null, Description = "What went wrong and what to do next, for a person." },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null, Description = "The request the problem is about." },
            ["code"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Description = "The stable, machine-readable error code; switch on this, not on detail.",
                Enum = Codes.Select(c => (JsonNode)JsonValue.Create(c)!).ToList(),
            },
            ["traceId"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The trace id of the request, to quote when reporting the problem." },
        };
        foreach (var (name, type, description) in ExtensionMembers)
        {
            var schema = new OpenApiSchema { Type = type, Description = description };
            if (type == JsonSchemaType.Array)
                schema.Items = new OpenApiSchema { Type = JsonSchemaType.String };
            properties[name] = schema;
        }

        return new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "An RFC 9457 problem details object, as every failed API call answers. code is stable; detail is for people; some codes add further members.",
            Required = new HashSet<string> { "code" },
            Properties = properties,
            AdditionalPropertiesAllowed = true,
        };
    }
}
